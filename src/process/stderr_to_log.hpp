#pragma once
// A child's stderr, line by line, to the server's log at error level: what
// websocketd does with a program's stderr, for WebSocket programs and CGI
// scripts alike.
#include <memory>
#include <string>

namespace wsexec {

class ChildSupervisor;

// Reads the child's stderr until EOF (or until the pipe is closed under it)
// and logs each line with `log_context`. A plain callback, not a coroutine:
// the wait lasts the child's whole life, and an idle connection should hold
// no coroutine frame for it. Keeps `supervisor` alive while it reads.
void relay_stderr_to_log(std::shared_ptr<ChildSupervisor> supervisor, std::string log_context);

}  // namespace wsexec
