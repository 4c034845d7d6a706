// A --config file: any bytes as its text, read under a command line that
// gives nothing else. A bad file is a ConfigError naming the file (a line's
// fault: "FILE:LINE: ..."); any other exception escaping parse_command_line
// is a bug (libFuzzer reports it as a crash).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/shell_words.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

constexpr std::string_view kPath = "/fuzz.conf";

// A word list made of the words joined back, each in single quotes (a ' as
// '\''), must split into the same words: quoting is exact.
void check_quoting_round_trip(std::string_view text) {
  std::vector<std::string> words;
  try {
    words = split_shell_words(text);
  } catch (const std::invalid_argument&) {
    return;
  }
  std::string quoted;
  for (const std::string& word : words) {
    quoted += " '";
    for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += '\'';
  }
  FUZZ_CHECK(split_shell_words(quoted) == words);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_quoting_round_trip(text);
  try {
    const CommandLine line = parse_command_line({"--config=" + std::string(kPath)},
                                                [&text](const std::string&) { return text; });
    FUZZ_CHECK(line.action == StartupAction::serve);
    const Config& config = line.config;
    FUZZ_CHECK(config.command.empty() || config.script_dir.empty());
    FUZZ_CHECK(config.port <= 65535 && config.redirect_port <= 65535);
    // Nothing but the file gave a command: it came from a "command" line.
    if (!config.command.empty()) FUZZ_CHECK(text.find("command") != std::string::npos);
  } catch (const ConfigError& error) {
    const std::string_view message = error.what();
    FUZZ_CHECK(!message.empty());
    FUZZ_CHECK(error.exit_status() == 1 || error.exit_status() == 2);
    // An unknown name is always a line's fault, and says where.
    if (error.exit_status() == 2) FUZZ_CHECK(message.starts_with(std::string(kPath) + ":"));
  }
  return 0;
}
