#include "core/config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>

namespace wsexec {

// The LICENSE file at the root of the repository, compiled in at build time
// (cmake/embed_file.cmake), so --license prints exactly what is distributed.
std::string_view license_file();

namespace {

namespace po = boost::program_options;

enum class Kind { flag, value };

struct OptionSpec {
  std::string_view name;
  Kind kind;
  std::string_view value_name;  // for --help
  std::string_view help;        // one line; the default is part of it
};

// The single table behind parsing and --help.
constexpr std::array kOptions = {
    OptionSpec{"port", Kind::value, "N", "TCP port to listen on (default 80, or 443 with --ssl)"},
    OptionSpec{"address", Kind::value, "ADDR",
               "address to bind to, repeatable; IPv6 in brackets, e.g. [::1] (default: all)"},
    OptionSpec{"unixsocket", Kind::value, "PATH", "also listen on a Unix socket"},
    OptionSpec{"redirport", Kind::value, "N",
               "plain HTTP port that redirects to the canonical --port URL (https with --ssl)"},
    OptionSpec{"ssl", Kind::flag, "", "serve wss:// and https:// (needs --sslcert, --sslkey)"},
    OptionSpec{"sslcert", Kind::value, "FILE", "TLS certificate chain (PEM)"},
    OptionSpec{"sslkey", Kind::value, "FILE", "TLS private key (PEM)"},
    OptionSpec{"sslca", Kind::value, "FILE", "require client certificates signed by this CA"},
    OptionSpec{"sameorigin", Kind::flag, "",
               "refuse (403) upgrades whose Origin host differs from Host (default false)"},
    OptionSpec{"origin", Kind::value, "LIST",
               "refuse (403) upgrades unless Origin matches one of [scheme://]host[:port],..."},
    OptionSpec{"passenv", Kind::value, "LIST",
               "variables of our environment passed to children (default PATH,LD_LIBRARY_PATH)"},
    OptionSpec{"binary", Kind::flag, "",
               "binary mode: raw bytes both ways, no line splitting (default false)"},
    OptionSpec{"passstderr", Kind::flag, "",
               "send stderr too, each line as JSON {\"stream\":...,\"data\":...} (default false)"},
    OptionSpec{"reverselookup", Kind::flag, "",
               "resolve REMOTE_HOST by reverse DNS (default false)"},
    OptionSpec{"dir", Kind::value, "DIR", "serve every executable in DIR as an endpoint"},
    OptionSpec{"staticdir", Kind::value, "DIR", "serve static files from DIR"},
    OptionSpec{"cgidir", Kind::value, "DIR", "run CGI scripts from DIR"},
    OptionSpec{"devconsole", Kind::flag, "", "interactive test page at the endpoint's URL"},
    OptionSpec{"maxforks", Kind::value, "N",
               "at most N live children; more get HTTP 429 (default 1024, 0 = unlimited)"},
    OptionSpec{"maxframesize", Kind::value, "BYTES",
               "close (1009) on larger client messages (default 1048576, 0 = unlimited)"},
    OptionSpec{"closems", Kind::value, "MS",
               "extra grace added to each step of ending a child (default 0)"},
    OptionSpec{"pingms", Kind::value, "MS",
               "ping clients every MS, drop one silent for 2*MS (default 0 = never)"},
    OptionSpec{"header", Kind::value, "\"NAME: VALUE\"", "header on every response, repeatable"},
    OptionSpec{"header-ws", Kind::value, "\"NAME: VALUE\"",
               "header on WebSocket upgrade (101) responses only, repeatable"},
    OptionSpec{"header-http", Kind::value, "\"NAME: VALUE\"",
               "header on plain HTTP responses only, repeatable"},
    OptionSpec{"loglevel", Kind::value, "LEVEL",
               "debug, trace, access, info, error, fatal or none (default access)"},
    OptionSpec{"help", Kind::flag, "", "print this help and exit"},
    OptionSpec{"version", Kind::flag, "", "print the version and exit"},
    OptionSpec{"license", Kind::flag, "", "print the license and exit"},
};

const OptionSpec* find_option(std::string_view name) {
  for (const auto& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

[[noreturn]] void fail(const std::string& message) {
  throw ConfigError(message, 1);
}

// Where the options end: the index of the first argument that is neither an
// option nor the value of the option before it. Program_options cannot stop
// at the first positional argument by itself, and the command's own
// arguments ("ls -l") must never be read as ours. The options are copied to
// `option_args` in one spelling, "--name=value", so program_options never
// mistakes a value for an option ("--passenv --binary"); an empty value,
// which it refuses after "=", becomes "--name" "".
std::size_t find_command_start(const std::vector<std::string>& args, bool& saw_double_dash,
                               std::vector<std::string>& option_args) {
  saw_double_dash = false;
  std::size_t i = 0;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (arg == "--") {
      saw_double_dash = true;
      return i;
    }
    if (arg.size() < 2 || arg[0] != '-') return i;
    std::string_view name(arg);
    name.remove_prefix(name.starts_with("--") ? 2 : 1);
    const auto equals = name.find('=');
    const bool has_inline_value = equals != std::string_view::npos;
    const bool empty_inline_value = has_inline_value && equals + 1 == name.size();
    name = name.substr(0, equals);
    const OptionSpec* spec = find_option(name);
    if (spec == nullptr) {
      throw ConfigError("unknown option: " + arg, 2, /*show_usage=*/true);
    }
    if (spec->kind == Kind::flag && empty_inline_value) {
      fail("--" + std::string(name) + " takes true or false, not an empty value");
    }
    const std::string long_name = "--" + std::string(name);
    std::string value;
    if (spec->kind == Kind::value && !has_inline_value) {
      if (i + 1 >= args.size()) fail(long_name + " needs a value");
      value = args[i + 1];  // taken whatever it looks like, as Go's flag package does
      i += 2;
    } else if (has_inline_value) {
      value = arg.substr(arg.find('=') + 1);
      i += 1;
    } else {
      // A bare flag. Spelled out because program_options lets an implicit
      // value replace every earlier occurrence, which would hide a bad one.
      option_args.push_back(long_name + "=true");
      i += 1;
      continue;
    }
    if (value.empty()) {
      option_args.push_back(long_name);
      option_args.emplace_back();
    } else {
      option_args.push_back(long_name + "=" + value);
    }
  }
  return i;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> items;
  while (true) {
    const auto comma = list.find(',');
    const auto item = trim(list.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) return items;
    list.remove_prefix(comma + 1);
  }
}

unsigned long long parse_number(std::string_view option, const std::string& text,
                                unsigned long long max, unsigned long long min = 0) {
  unsigned long long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    fail("--" + std::string(option) + " needs a whole number from " + std::to_string(min) + " to " +
         std::to_string(max) + ", not \"" + text + "\"");
  }
  return value;
}

bool parse_bool(std::string_view option, const std::string& text) {
  // The spellings Go's strconv.ParseBool accepts, as websocketd does.
  static const std::map<std::string, bool, std::less<>> spellings = {
      {"1", true},    {"t", true},      {"T", true},      {"true", true},
      {"TRUE", true}, {"True", true},   {"0", false},     {"f", false},
      {"F", false},   {"false", false}, {"FALSE", false}, {"False", false}};
  const auto found = spellings.find(text);
  if (found == spellings.end()) {
    fail("--" + std::string(option) + " takes true or false, not \"" + text + "\"");
  }
  return found->second;
}

std::string parse_address(const std::string& text) {
  if (text.starts_with('[')) {
    if (!text.ends_with(']')) fail("--address \"" + text + "\" is missing its closing ]");
    std::string inner = text.substr(1, text.size() - 2);
    in6_addr parsed{};
    if (inet_pton(AF_INET6, inner.c_str(), &parsed) != 1) {
      fail("--address \"" + text + "\" is not an IPv6 address");
    }
    return inner;
  }
  if (text.find(':') != std::string::npos) {
    fail("--address \"" + text + "\": write an IPv6 address in brackets, e.g. [::1]");
  }
  const bool plausible_name =
      !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-';
      });
  if (!plausible_name) fail("--address \"" + text + "\" is not an IP address or host name");
  return text;
}

bool is_header_token(std::string_view name) {
  static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || specials.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

HeaderField parse_header(std::string_view option, const std::string& text) {
  const auto colon = text.find(':');
  const auto name = trim(std::string_view(text).substr(0, colon));
  if (colon == std::string::npos || !is_header_token(name)) {
    fail("--" + std::string(option) + " needs \"Name: value\", not \"" + text + "\"");
  }
  const auto value = trim(std::string_view(text).substr(colon + 1));
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    fail("--" + std::string(option) + " value must be on one line");
  }
  return {std::string(name), std::string(value)};
}

class ParsedOptions {
 public:
  explicit ParsedOptions(po::variables_map map) : map_(std::move(map)) {}

  bool given(std::string_view name) const { return map_.count(std::string(name)) > 0; }

  // Every occurrence, in order (repeatable options).
  std::vector<std::string> all(std::string_view name) const {
    if (!given(name)) return {};
    return map_[std::string(name)].as<std::vector<std::string>>();
  }

  // The last occurrence: a repeated single-valued option is not an error,
  // the last one wins, as with websocketd. Every occurrence is still
  // validated by `parse`, so a bad earlier value is refused like a bad last one.
  template <typename Parse>
  auto last(std::string_view name, Parse parse) const {
    const auto values = all(name);
    auto result = parse(values.front());
    for (std::size_t i = 1; i < values.size(); ++i) result = parse(values[i]);
    return result;
  }
  std::string last(std::string_view name) const { return all(name).back(); }

  bool flag(std::string_view name) const {
    return given(name) &&
           last(name, [name](const std::string& text) { return parse_bool(name, text); });
  }

  // The last value of a numeric option, every occurrence checked.
  unsigned long long number(std::string_view name, unsigned long long max,
                            unsigned long long min = 0) const {
    return last(name, [&](const std::string& text) { return parse_number(name, text, max, min); });
  }

 private:
  po::variables_map map_;
};

ParsedOptions tokenize(const std::vector<std::string>& option_args) {
  po::options_description description;
  for (const auto& spec : kOptions) {
    auto* semantic = po::value<std::vector<std::string>>();
    description.add_options()(std::string(spec.name).c_str(), semantic);
  }
  const int style =
      po::command_line_style::allow_long | po::command_line_style::long_allow_adjacent |
      po::command_line_style::long_allow_next | po::command_line_style::allow_long_disguise;
  po::variables_map map;
  try {
    po::store(po::command_line_parser(option_args).options(description).style(style).run(), map);
  } catch (const po::error& e) {
    // find_command_start() already refused unknown options; what is left is
    // a malformed value (e.g. "--binary=").
    fail(std::string("bad command line: ") + e.what());
  }
  return ParsedOptions(std::move(map));
}

Config build_config(const ParsedOptions& options) {
  Config config;
  if (options.given("port")) config.port = static_cast<unsigned>(options.number("port", 65535, 1));
  if (options.given("unixsocket")) {
    config.unix_socket = options.last("unixsocket");
    if (config.unix_socket.empty()) fail("--unixsocket needs a path");
    config.unix_socket_only =
        !options.given("port") && !options.given("address") && !options.given("redirport");
  }
  if (options.given("dir")) config.script_dir = options.last("dir");
  if (options.given("staticdir")) config.static_dir = options.last("staticdir");
  if (options.given("cgidir")) config.cgi_dir = options.last("cgidir");
  config.dev_console = options.flag("devconsole");
  for (const char* other : {"staticdir", "cgidir"}) {
    if (config.dev_console && options.given(other)) {
      fail("--devconsole cannot be used with --" + std::string(other) +
           " (the console answers every plain HTTP request)");
    }
  }
  config.tls = options.flag("ssl");
  if (options.given("sslcert")) config.tls_certificate = options.last("sslcert");
  if (options.given("sslkey")) config.tls_key = options.last("sslkey");
  if (options.given("sslca")) config.tls_client_ca = options.last("sslca");
  if (config.tls && (config.tls_certificate.empty() || config.tls_key.empty())) {
    fail("--ssl needs both --sslcert=FILE and --sslkey=FILE");
  }
  if (!config.tls) {
    for (const char* name : {"sslcert", "sslkey", "sslca"}) {
      if (options.given(name)) fail("--" + std::string(name) + " only works together with --ssl");
    }
  }
  if (config.tls && !options.given("port")) config.port = 443;
  if (options.given("redirport")) {
    config.redirect_port = static_cast<unsigned>(options.number("redirport", 65535, 1));
    if (config.redirect_port == config.port) {
      fail("--redirport and --port cannot be the same port (" + std::to_string(config.port) + ")");
    }
  }
  for (const auto& address : options.all("address")) {
    config.addresses.push_back(parse_address(address));
  }
  config.binary = options.flag("binary");
  config.pass_stderr = options.flag("passstderr");
  if (config.binary && config.pass_stderr) {
    fail("--passstderr cannot be used with --binary (stderr lines are sent as JSON text)");
  }
  config.reverse_lookup = options.flag("reverselookup");
  config.origin_policy.same_origin = options.flag("sameorigin");
  if (options.given("origin")) {
    config.origin_policy.allowed = options.last("origin", [](const std::string& text) {
      try {
        return parse_origin_list(text);
      } catch (const std::invalid_argument& e) {
        fail(e.what());
      }
    });
  }
  if (options.given("passenv")) config.passenv = split_list(options.last("passenv"));
  constexpr auto max_unsigned = std::numeric_limits<unsigned>::max();
  if (options.given("maxforks")) {
    config.max_forks = static_cast<unsigned>(options.number("maxforks", max_unsigned));
  }
  if (options.given("maxframesize")) {
    config.max_frame_size =
        options.number("maxframesize", std::numeric_limits<std::uint32_t>::max());
  }
  if (options.given("closems")) {
    config.close_ms = static_cast<unsigned>(options.number("closems", 3'600'000));
  }
  if (options.given("pingms")) {
    config.ping_ms = static_cast<unsigned>(options.number("pingms", 3'600'000));
  }
  for (const auto& header : options.all("header")) {
    config.headers.push_back(parse_header("header", header));
  }
  for (const auto& header : options.all("header-ws")) {
    config.headers_ws.push_back(parse_header("header-ws", header));
  }
  for (const auto& header : options.all("header-http")) {
    config.headers_http.push_back(parse_header("header-http", header));
  }
  if (options.given("loglevel")) {
    config.log_level = options.last("loglevel", [](const std::string& text) {
      const auto level = parse_log_level(text);
      if (!level) {
        fail("--loglevel must be one of debug, trace, access, info, error, fatal, none; not \"" +
             text + "\"");
      }
      return *level;
    });
  }
  return config;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args) {
  if (args.empty()) {
    fail("no command given: run wsexec [options] COMMAND [ARGS...], see wsexec --help");
  }
  bool saw_double_dash = false;
  std::vector<std::string> option_args;
  const std::size_t command_start = find_command_start(args, saw_double_dash, option_args);
  const ParsedOptions options = tokenize(option_args);

  CommandLine result;
  if (options.flag("help")) {
    result.action = StartupAction::show_help;
    return result;
  }
  if (options.flag("version")) {
    result.action = StartupAction::show_version;
    return result;
  }
  if (options.flag("license")) {
    result.action = StartupAction::show_license;
    return result;
  }
  result.config = build_config(options);

  const std::size_t first_command_word = command_start + (saw_double_dash ? 1 : 0);
  const Config& config = result.config;
  const bool has_command = first_command_word < args.size();
  if (has_command && !config.script_dir.empty()) {
    fail("give either a COMMAND or --dir, not both (--dir serves every executable in it)");
  }
  if (!has_command) {
    if (!config.script_dir.empty() || !config.static_dir.empty() || !config.cgi_dir.empty()) {
      return result;  // endpoints from --dir, or a plain HTTP server
    }
    fail(
        "no command given: name the program to run for each connection, e.g. "
        "wsexec --port=8080 ./script.sh (or use --dir, --staticdir or --cgidir)");
  }
  result.config.command = args[first_command_word];
  result.config.command_args.assign(args.begin() + first_command_word + 1, args.end());
  return result;
}

std::string usage_text() {
  return "usage: wsexec [options] COMMAND [ARGS...]\n"
         "Run 'wsexec --help' for the list of options.\n";
}

std::string help_text() {
  std::string text =
      "wsexec " WSEXEC_VERSION
      ": turn any program into a WebSocket server.\n"
      "\n"
      "usage: wsexec [options] COMMAND [ARGS...]\n"
      "       wsexec [options] --dir=DIR\n"
      "\n"
      "Every WebSocket connection starts COMMAND (or, with --dir, the executable\n"
      "under DIR that the URL path names). Each message from the client is\n"
      "written to its stdin as a line; each line it prints on stdout is sent back as\n"
      "a message. Options end at the first argument that is not an option; every\n"
      "option may be written --name=value, --name value, -name=value or -name value.\n"
      "\n"
      "options:\n";
  for (const auto& spec : kOptions) {
    std::string left("  --");
    left += spec.name;
    if (spec.kind == Kind::value) left += "=" + std::string(spec.value_name);
    left.resize(std::max<std::size_t>(left.size() + 2, 32), ' ');
    text += left + std::string(spec.help);
    text += "\n";
  }
  text +=
      "\n"
      "examples:\n"
      "  wsexec --port=8080 ./count.sh\n"
      "  wsexec --port=8080 --address=127.0.0.1 --binary cat\n"
      "  wsexec --ssl --port=443 --redirport=80 \\\n"
      "    --sslcert=/etc/letsencrypt/live/example.com/fullchain.pem \\\n"
      "    --sslkey=/etc/letsencrypt/live/example.com/privkey.pem ./count.sh\n";
  return text;
}

std::string version_text() {
  return "wsexec " WSEXEC_VERSION " (compatible with websocketd 0.5)\n";
}

std::string license_text() {
  return "wsexec " WSEXEC_VERSION "\n" + std::string(license_file());
}

}  // namespace wsexec
