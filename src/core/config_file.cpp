#include "core/config_file.hpp"

#include <array>
#include <boost/program_options/errors.hpp>
#include <boost/program_options/parsers.hpp>
#include <optional>
#include <stdexcept>

#include "core/shell_words.hpp"

namespace wsexec {
namespace {

namespace po = boost::program_options;

// Options about the command line itself: --config names the one file (which
// cannot name another), --help, --version and --license print and exit.
constexpr std::array<std::string_view, 4> kCommandLineOnly = {"config", "help", "version",
                                                              "license"};
// What some editors put in front of a UTF-8 file.
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

[[noreturn]] void refuse(const std::string& where, const std::string& why, int exit_status = 1) {
  throw ConfigError(where + ": " + why, exit_status);
}

std::string_view trim_blanks(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

struct Setting {
  std::string name;
  std::optional<std::string> value;  // nullopt: the name alone
};

Setting split_setting(std::string_view line, const std::string& where) {
  const auto equals = line.find('=');
  Setting setting{std::string(trim_blanks(line.substr(0, equals))), std::nullopt};
  if (equals != std::string_view::npos) setting.value = trim_blanks(line.substr(equals + 1));
  if (setting.name.empty()) refuse(where, "a line is NAME = VALUE; this one has no name");
  return setting;
}

// The option a line sets, checked against the option table.
po::option option_for(const Setting& setting, const std::string& where,
                      const po::options_description& description) {
  const std::string& name = setting.name;
  const po::option_description* known = description.find_nothrow(name, /*approx=*/false);
  if (known == nullptr) {
    const auto undashed = name.substr(std::min(name.find_first_not_of('-'), name.size()));
    // (An empty name would be ambiguous to program_options, which throws:
    // it equals every option's empty short name.)
    if (!undashed.empty() && undashed != name &&
        description.find_nothrow(undashed, false) != nullptr) {
      refuse(where, "write option names without dashes: " + undashed + " = ...", 2);
    }
    refuse(where, "unknown option \"" + name + "\"", 2);
  }
  for (const auto only : kCommandLineOnly) {
    if (name == only) refuse(where, "--" + name + " belongs on the command line, not in this file");
  }
  if (!setting.value && known->semantic()->min_tokens() > 0) {
    refuse(where, name + " needs a value: " + name + " = VALUE");
  }
  po::option option(name, {});
  if (setting.value) option.value.push_back(*setting.value);
  return option;
}

void read_command(const Setting& setting, const std::string& where, FileCommand& command) {
  if (!command.origin.empty()) {
    refuse(where, "a second command (the first is at " + command.origin + ")");
  }
  if (!setting.value || setting.value->empty()) {
    refuse(where, "command needs the program to run, e.g. command = /usr/bin/cat");
  }
  try {
    command.words = split_shell_words(*setting.value);
  } catch (const std::invalid_argument& e) {
    refuse(where, std::string("command: ") + e.what());
  }
  if (command.words.front().empty()) refuse(where, "command: the program's name is empty");
  command.origin = where;
}

}  // namespace

FileCommand store_config_file(const std::string& path, std::string_view text,
                              const po::options_description& description, po::variables_map& map,
                              OptionOrigins& origins) {
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  po::parsed_options parsed(&description);
  std::vector<std::string> parsed_origins;  // one for each of parsed.options
  FileCommand command;
  for (std::size_t number = 1; !text.empty(); ++number) {
    const auto end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.ends_with('\r')) line.remove_suffix(1);
    line = trim_blanks(line);
    if (line.empty() || line.starts_with('#')) continue;
    const std::string where = path + ":" + std::to_string(number);
    // A NUL would cut a value or an argument short where the C library reads it.
    if (line.find('\0') != std::string_view::npos) refuse(where, "the line holds a NUL byte");
    const Setting setting = split_setting(line, where);
    if (setting.name == "command") {
      read_command(setting, where, command);
      continue;
    }
    parsed.options.push_back(option_for(setting, where, description));
    parsed_origins.push_back(where);
  }
  // Before the store: what the map holds now is the command line's.
  for (std::size_t i = 0; i < parsed.options.size(); ++i) {
    const std::string& name = parsed.options[i].string_key;
    if (map.count(name) == 0) origins[name].push_back(parsed_origins[i]);
  }
  try {
    po::store(parsed, map);
  } catch (const po::error& e) {
    refuse(path, e.what());
  }
  return command;
}

FileCommand store_config_option(const ConfigFileReader& read,
                                const po::options_description& description, po::variables_map& map,
                                OptionOrigins& origins) {
  const auto paths = StoredOptions(map).all("config");
  if (paths.size() > 1) throw ConfigError("--config may be given only once", 1);
  const std::string& path = paths.front();
  if (path.empty()) throw ConfigError("--config needs a file name", 1);
  if (!read) throw ConfigError("--config: no file can be read here", 1);
  return store_config_file(path, read(path), description, map, origins);
}

}  // namespace wsexec
