#include "core/exit_status.hpp"

namespace wsexec {

std::string exit_close_reason(ProgramExit exit) {
  return exit.kind == ProgramExit::Kind::exited ? "exit " + std::to_string(exit.value)
                                                : "signal " + std::to_string(exit.value);
}

std::string exit_log_value(ProgramExit exit) {
  return exit.kind == ProgramExit::Kind::exited ? std::to_string(exit.value)
                                                : "signal " + std::to_string(exit.value);
}

}  // namespace wsexec
