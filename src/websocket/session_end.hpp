#pragma once
// What the DISCONNECT line says about how a session ended: the timeout
// that closed it, if one did (reason:'idle'), and how its program ended
// (exit:'3', exit:'signal 15'), when that is known.
#include <optional>
#include <string>

#include "core/exit_status.hpp"
#include "core/session_timeouts.hpp"

namespace wsexec {

std::string disconnect_context(std::string context, SessionTimeout timed_out,
                               const std::optional<ProgramExit>& program_exit);

}  // namespace wsexec
