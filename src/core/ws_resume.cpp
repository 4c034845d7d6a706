#include "core/ws_resume.hpp"

#include <string>

#include "core/subprotocol.hpp"

namespace wsexec {

bool wants_resumable_websocket(const Config& config, const std::vector<std::string_view>& offered) {
  if (!config.sse || config.sse_resume_ms == 0) return false;
  static const std::vector<std::string> ours{std::string(kResumeSubprotocol)};
  return choose_subprotocol(ours, offered).has_value();
}

}  // namespace wsexec
