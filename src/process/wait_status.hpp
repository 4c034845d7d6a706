#pragma once
// A raw wait status in words, for the log. Apart from child_process.hpp so
// that code without an event loop (the spawn helpers, the bench) can say it.
#include <string>

namespace wsexec {

// "exited with status 3", "killed by SIGKILL".
std::string describe_wait_status(int status);

}  // namespace wsexec
