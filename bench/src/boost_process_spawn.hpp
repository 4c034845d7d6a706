// Issue 16, item 5: the same spawn as wsexec's start_program, written with
// Boost.Process 1.74 (its vfork launcher and extension handlers), to
// measure it side by side in `wsbench limit-spawn --launcher boost`.
#pragma once

#include <system_error>

#include "process/program_start.hpp"

namespace bench {

// start_program's contract: own process group, default signals, only 0-2
// open, exec's errno reported, a pidfd for the exit watch (pidfd_open after
// the fact: Boost.Process has none).
wsexec::StartedProgram start_with_boost_process(const char* path, char* const argv[],
                                                char* const envp[], int stdin_fd, int stdout_fd,
                                                int stderr_fd, std::error_code& error);

}  // namespace bench
