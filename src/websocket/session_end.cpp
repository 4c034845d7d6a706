#include "websocket/session_end.hpp"

#include "server/log.hpp"

namespace wsexec {

std::string disconnect_context(std::string context, SessionTimeout timed_out,
                               const std::optional<ProgramExit>& program_exit) {
  if (timed_out != SessionTimeout::none) {
    log::add_to_context(context, "reason", session_timeout_reason(timed_out));
  }
  if (program_exit) log::add_to_context(context, "exit", exit_log_value(*program_exit));
  return context;
}

}  // namespace wsexec
