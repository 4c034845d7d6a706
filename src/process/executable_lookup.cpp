#include "process/executable_lookup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "core/config.hpp"

namespace wsexec {
namespace {

bool is_executable_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string resolve_executable(const std::string& command, const std::string& search_path) {
  if (command.find('/') != std::string::npos) {
    struct stat info {};
    if (::stat(command.c_str(), &info) != 0) {
      throw ConfigError("command '" + command + "' does not exist", 1);
    }
    if (!is_executable_file(command)) {
      throw ConfigError("command '" + command + "' is not an executable file (chmod +x?)", 1);
    }
    return command;
  }
  std::string_view remaining = search_path;
  while (true) {
    const auto colon = remaining.find(':');
    std::string directory(remaining.substr(0, colon));
    if (directory.empty()) directory = ".";  // an empty PATH entry means the current directory
    const std::string candidate = directory + "/" + command;
    if (is_executable_file(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    remaining.remove_prefix(colon + 1);
  }
  throw ConfigError("cannot find command '" + command + "' in PATH", 1);
}

}  // namespace wsexec
