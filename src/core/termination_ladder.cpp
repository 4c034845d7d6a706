#include "core/termination_ladder.hpp"

#include "core/limits.hpp"

namespace wsexec {

std::array<LadderStep, 4> termination_ladder(std::chrono::milliseconds extra_grace) {
  return {{
      {LadderAction::close_stdin, limits::kLadderAfterCloseStdin + extra_grace},
      {LadderAction::send_sigint, limits::kLadderAfterSigint + extra_grace},
      {LadderAction::send_sigterm, limits::kLadderAfterSigterm + extra_grace},
      {LadderAction::send_sigkill, limits::kLadderAfterSigkill + extra_grace},
  }};
}

std::string_view ladder_action_name(LadderAction action) {
  switch (action) {
    case LadderAction::close_stdin:
      return "close stdin";
    case LadderAction::send_sigint:
      return "SIGINT";
    case LadderAction::send_sigterm:
      return "SIGTERM";
    case LadderAction::send_sigkill:
      return "SIGKILL";
  }
  return "?";
}

}  // namespace wsexec
