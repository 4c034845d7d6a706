#include "core/ws_resume.hpp"

#include <string>

#include "core/subprotocol.hpp"

namespace wsexec {

bool wants_resumable_websocket(const Config& config, const std::vector<std::string_view>& offered) {
  if (!config.sse || config.sse_resume_ms == 0) return false;
  // A shared program's clients join it; a resumable session would start a
  // program of its own for this client. Out of scope: plain WebSocket.
  if (config.shared_mode != SharedMode::off) return false;
  static const std::vector<std::string> ours{std::string(kResumeSubprotocol)};
  return choose_subprotocol(ours, offered).has_value();
}

}  // namespace wsexec
