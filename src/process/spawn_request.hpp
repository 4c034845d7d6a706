#pragma once
// What to start: the program, its arguments and its whole environment. A
// plain value, so a request can be built on a worker and carried to the
// spawner's thread.
#include <string>
#include <vector>

#include "core/terminal_session.hpp"

namespace wsexec {

struct SpawnRequest {
  std::string executable;                // absolute or relative path, already resolved
  std::vector<std::string> argv;         // argv[0] included
  std::vector<std::string> environment;  // "NAME=value", the whole environment
  // --unbuffered, --pty: which descriptors are a pseudo-terminal, and its size.
  TerminalMode terminal = TerminalMode::none;
  TerminalSize terminal_size{};
};

}  // namespace wsexec
