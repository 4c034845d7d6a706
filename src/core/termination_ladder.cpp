#include "core/termination_ladder.hpp"

namespace wsexec {

std::array<LadderStep, 4> termination_ladder(std::chrono::milliseconds extra_grace) {
  using std::chrono::milliseconds;
  return {{
      {LadderAction::close_stdin, milliseconds(100) + extra_grace},
      {LadderAction::send_sigint, milliseconds(250) + extra_grace},
      {LadderAction::send_sigterm, milliseconds(500) + extra_grace},
      {LadderAction::send_sigkill, milliseconds(1000) + extra_grace},
  }};
}

std::string_view ladder_action_name(LadderAction action) {
  switch (action) {
    case LadderAction::close_stdin: return "close stdin";
    case LadderAction::send_sigint: return "SIGINT";
    case LadderAction::send_sigterm: return "SIGTERM";
    case LadderAction::send_sigkill: return "SIGKILL";
  }
  return "?";
}

}  // namespace wsexec
