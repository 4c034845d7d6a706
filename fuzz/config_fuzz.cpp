// The command line: arguments split at NUL bytes. A bad command line is a
// ConfigError with a sentence for the user; any other exception escaping
// parse_command_line is a bug (libFuzzer reports it as a crash).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> arguments;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find('\0'), rest.size());
    arguments.emplace_back(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }

  try {
    const CommandLine command_line = parse_command_line(arguments);
    if (command_line.action == StartupAction::serve) {
      const Config& config = command_line.config;
      // A command and --dir exclude each other (the command itself may be
      // any string: main() resolves it and says when it cannot).
      FUZZ_CHECK(config.command.empty() || config.script_dir.empty());
      FUZZ_CHECK(config.port <= 65535 && config.redirect_port <= 65535);
    }
  } catch (const ConfigError& error) {
    FUZZ_CHECK(error.what()[0] != '\0');
    FUZZ_CHECK(error.exit_status() == 1 || error.exit_status() == 2);
  }
  return 0;
}
