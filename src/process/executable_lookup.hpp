#pragma once
// Finding the command at start-up, as a shell would: a name without a slash
// is looked up in PATH. A command that cannot run is a start-up error, not a
// failure of every connection later.
#include <string>

namespace wsexec {

// Returns the path to execute, or throws ConfigError (exit 1) with one
// sentence saying what is wrong.
std::string resolve_executable(const std::string& command, const std::string& search_path);

}  // namespace wsexec
