#include "core/config.hpp"

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cstdint>
#include <limits>

#include "core/config_file.hpp"
#include "core/observability_options.hpp"
#include "core/option_values.hpp"
#include "core/service_options.hpp"
#include "core/session_options.hpp"
#include "core/sse_options.hpp"

namespace wsexec {

// The LICENSE file at the root of the repository, compiled in at build time
// (cmake/embed_file.cmake), so --license prints exactly what is distributed.
std::string_view license_file();

namespace {

namespace po = boost::program_options;

// --pollus: 10 ms. A worker that polls longer than that is busy, not
// waiting for an answer; and one poll window is CPU spent on every idle
// spell.
constexpr unsigned long long kMaxPollUs = 10'000;

enum class Kind { flag, value };

struct OptionSpec {
  std::string_view name;
  Kind kind;
  std::string_view value_name;  // for --help
  std::string_view help;        // one line; the default is part of it
};

// The single table behind parsing, checking and --help: program_options'
// description of the options is built from it (describe_options()).
constexpr std::array kOptions = {
    OptionSpec{"port", Kind::value, "N",
               "TCP port to listen on (default 80, or 443 with --ssl; 0 = the default)"},
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
    // Terminals (issue 14): which one to choose is in the man page.
    OptionSpec{"unbuffered", Kind::flag, "",
               "stdout on a raw terminal: line programs (C stdio, Python) send each line at once"},
    OptionSpec{"pty", Kind::flag, "",
               "interactive programs (shells, REPLs, top) on a terminal; binary output"},
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
    OptionSpec{"pollus", Kind::value, "US",
               "out of work, a worker polls for more up to US microseconds before it sleeps, "
               "while that finds work (default 100, 0 = never)"},
    OptionSpec{"pingms", Kind::value, "MS",
               "ping clients every MS, drop one silent for 2*MS (default 0 = never)"},
    OptionSpec{"idlems", Kind::value, "MS",
               "close (1000, \"idle\") a session with no message either way for MS (default 0 = "
               "never)"},
    OptionSpec{"lifetimems", Kind::value, "MS",
               "close (1000, \"lifetime\") every session MS after it connected (default 0 = "
               "never)"},
    OptionSpec{"header", Kind::value, "\"NAME: VALUE\"", "header on every response, repeatable"},
    OptionSpec{"header-ws", Kind::value, "\"NAME: VALUE\"",
               "header on WebSocket upgrade (101) responses only, repeatable"},
    OptionSpec{"header-http", Kind::value, "\"NAME: VALUE\"",
               "header on plain HTTP responses only, repeatable"},
    OptionSpec{"loglevel", Kind::value, "LEVEL",
               "debug, trace, access, info, error, fatal or none (default access)"},
    OptionSpec{"compress", Kind::flag, "",
               "compress messages (permessage-deflate) for clients that offer it (default false)"},
    OptionSpec{"subprotocol", Kind::value, "LIST",
               "subprotocols we speak, preferred first; a client gets the first it offers"},
    OptionSpec{"subprotocol-required", Kind::flag, "",
               "refuse (400) upgrades offering none of --subprotocol (default false)"},
    OptionSpec{"metrics", Kind::value, "[ADDR:]PORT",
               "serve GET /metrics (Prometheus) and /healthz on ADDR (default 127.0.0.1)"},
    OptionSpec{"logformat", Kind::value, "FORMAT",
               "text (websocketd's lines, the default) or json (one object per line)"},
    // Operations under systemd (issue 15): drain and privilege drop.
    OptionSpec{"drainms", Kind::value, "MS",
               "on SIGTERM/SIGINT stop accepting, let sessions go on up to MS (default 0)"},
    OptionSpec{"user", Kind::value, "NAME",
               "after binding and reading TLS keys, run (and start programs) as this user"},
    OptionSpec{"group", Kind::value, "NAME",
               "with --user: run as this group (default the user's primary group)"},
    // Configuration files (issue #15).
    OptionSpec{"config", Kind::value, "FILE",
               "read options and the command from FILE (name = value lines); the command line "
               "wins"},
    OptionSpec{"shared", Kind::flag, "",
               "one program for every client: --shared[=broadcast] or --shared=addressed"},
    OptionSpec{"sharedidlems", Kind::value, "MS",
               "with --shared: end the program after MS without clients (default: keep it)"},
    OptionSpec{"sendqueue", Kind::value, "BYTES",
               "with --shared: close (1008) a client this far behind (default 1048576)"},
    // The HTTP fallback transport (issue #17, docs/sse-protocol.md).
    OptionSpec{"sse", Kind::flag, "",
               "also serve every endpoint as Server-Sent Events + POST (for clients without "
               "WebSocket)"},
    OptionSpec{"resumems", Kind::value, "MS",
               "with --sse: keep a session whose client vanished for MS, for a resume (default 0)"},
    OptionSpec{"resumebuffer", Kind::value, "BYTES",
               "with --sse: output kept for a resume; past it the session ends (default 1048576)"},
    OptionSpec{"help", Kind::flag, "", "print this help and exit"},
    OptionSpec{"version", Kind::flag, "", "print the version and exit"},
    OptionSpec{"license", Kind::flag, "", "print the license and exit"},
};

[[noreturn]] void fail(const std::string& message) {
  throw ConfigError(message, 1);
}

[[noreturn]] void refuse_unknown(const std::string& word) {
  throw ConfigError("unknown option: " + word, 2, /*show_usage=*/true);
}

// The description program_options parses with, and --help is printed from.
// Every occurrence of an option is kept, in order, as text: build_config()
// checks each one, so a bad value is refused even when a later one is good.
po::options_description describe_options() {
  po::options_description description;
  for (const auto& spec : kOptions) {
    const std::string name(spec.name);
    const std::string help(spec.help);
    if (spec.kind == Kind::flag) {
      description.add_options()(name.c_str(), new FlagValue, help.c_str());
    } else {
      auto* value = po::value<std::vector<std::string>>();
      value->value_name(std::string(spec.value_name));
      description.add_options()(name.c_str(), value, help.c_str());
    }
  }
  return description;
}

// Two shapes of word that program_options' own parsers misread. "--name="
// (nothing after the '='): it refuses it, websocketd reads an empty value
// ("-passenv=" passes no variable), so it becomes the option with an empty
// value. "-=x" (no name): it would look the empty name up, find it equal to
// every option's empty short name and call it ambiguous; it names no option
// of ours, so it comes back as a positional word, which is refused as unknown.
std::vector<po::option> parse_empty_name_or_value(std::vector<std::string>& words) {
  const std::string& word = words.front();
  const std::size_t dashes = word.starts_with("--") ? 2 : word.starts_with('-') ? 1 : 0;
  const std::size_t equals = word.find('=');
  if (dashes == 0 || equals == std::string::npos) return {};
  if (equals != dashes && equals + 1 != word.size()) return {};
  po::option option(word.substr(dashes, equals - dashes), {word.substr(equals + 1)});
  option.original_tokens.push_back(word);
  words.erase(words.begin());
  return {option};
}

po::parsed_options parse_words(const std::vector<std::string>& words,
                               const po::options_description& description) {
  namespace style = po::command_line_style;
  // allow_long_disguise: websocketd's single-dash long options (-port=8080).
  constexpr int kStyle = style::allow_long | style::long_allow_adjacent | style::long_allow_next |
                         style::allow_long_disguise;
  return po::command_line_parser(words)
      .options(description)
      .style(kStyle)
      .extra_style_parser(&parse_empty_name_or_value)
      .allow_unregistered()
      .run();
}

// Program_options reads one option word, with the next word only when it
// says the option needs a value there; that word is the value whatever it
// looks like, as Go's flag package takes it (program_options would refuse
// one equal to an option's name as written, dashes included: none is).
// Returns how many words it took.
std::size_t take_option(const std::vector<std::string>& args, std::size_t at,
                        const po::options_description& description,
                        std::vector<po::option>& options) {
  const std::string& word = args[at];
  std::vector<std::string> words{word};
  po::parsed_options parsed(&description);
  try {
    parsed = parse_words(words, description);
  } catch (const po::invalid_command_line_syntax& e) {
    if (e.kind() != po::invalid_command_line_syntax::missing_parameter) throw;
    if (at + 1 >= args.size()) fail(e.get_option_name() + " needs a value");
    words.push_back(args[at + 1]);
    parsed = parse_words(words, description);
  }
  // A single-dash word that names no option comes back as a positional word.
  for (const auto& option : parsed.options) {
    if (option.unregistered || option.string_key.empty()) refuse_unknown(word);
    options.push_back(option);
  }
  return words.size();
}

struct SplitArguments {
  po::parsed_options options;
  std::size_t command_start = 0;
};

// Program_options reads a whole list of options and positional words mixed,
// and cannot stop at the first positional one; but the options end there,
// and the command's own arguments ("ls -l") must never be read as ours. So
// it is given the options one at a time (take_option), and the only
// tokenizing left here is where they end: at "--" or at the first word that
// does not start with a dash ("-" alone is a word: a command named "-").
SplitArguments split_arguments(const std::vector<std::string>& args,
                               const po::options_description& description) {
  po::parsed_options options(&description);
  std::size_t at = 0;
  while (at < args.size()) {
    const std::string& word = args[at];
    if (word == "--") return {std::move(options), at + 1};
    if (word.size() < 2 || !word.starts_with('-')) break;
    at += take_option(args, at, description, options.options);
  }
  return {std::move(options), at};
}

void read_listeners(const StoredOptions& options, Config& config) {
  config.tls = options.flag("ssl");
  // websocketd reads --port=0 as "not given" (its test suite relies on it).
  const auto port = options.given("port") ? options.number("port", 65535) : 0;
  config.port = port != 0 ? static_cast<unsigned>(port) : config.tls ? 443 : 80;
  if (options.given("unixsocket")) {
    config.unix_socket = options.last("unixsocket", [](const std::string& path) {
      if (path.empty()) fail("--unixsocket needs a path");
      return path;
    });
    config.unix_socket_only = port == 0 && !options.given("address") && !options.given("redirport");
  }
  if (options.given("redirport")) {
    config.redirect_port = static_cast<unsigned>(options.number("redirport", 65535, 1));
    if (config.redirect_port == config.port) {
      fail("--redirport and --port cannot be the same port (" + std::to_string(config.port) + ")");
    }
  }
  config.addresses = options.each("address", parse_address);
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
}

void read_http(const StoredOptions& options, Config& config) {
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
  const auto header_parser = [](std::string_view option) {
    return [option](const std::string& text) { return parse_header(option, text); };
  };
  config.headers = options.each("header", header_parser("header"));
  config.headers_ws = options.each("header-ws", header_parser("header-ws"));
  config.headers_http = options.each("header-http", header_parser("header-http"));
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
}

void read_children(const StoredOptions& options, Config& config) {
  config.binary = options.flag("binary");
  config.pass_stderr = options.flag("passstderr");
  if (config.binary && config.pass_stderr) {
    fail("--passstderr cannot be used with --binary (stderr lines are sent as JSON text)");
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
  if (options.given("pollus")) {
    config.poll_us = static_cast<unsigned>(options.number("pollus", kMaxPollUs));
  }
  if (options.given("pingms")) {
    config.ping_ms = static_cast<unsigned>(options.number("pingms", 3'600'000));
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
}

// Every option the map holds, checked and combined. Works on a map, not on
// the command line, so options read from elsewhere (a configuration file)
// can be stored into the same map first; `origins` says which.
Config build_config(const po::variables_map& map, const OptionOrigins& origins) {
  const StoredOptions options(map, &origins);
  Config config;
  read_listeners(options, config);
  read_http(options, config);
  read_children(options, config);
  read_session_timeouts(options, config);
  read_websocket_negotiation(options, config);
  read_terminal(options, config);
  read_observability_options(options, config);
  read_service_options(options, config);
  read_shared(options, config);
  read_sse_options(options, config);
  return config;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args,
                               const ConfigFileReader& read_config_file) {
  if (args.empty()) {
    fail("no command given: run wsexec [options] COMMAND [ARGS...], see wsexec --help");
  }
  const po::options_description description = describe_options();
  po::variables_map map;
  std::size_t command_start = 0;
  try {
    const SplitArguments split = split_arguments(args, description);
    po::store(split.options, map);
    command_start = split.command_start;
  } catch (const po::error& e) {
    // What program_options refuses that take_option() does not name itself.
    fail(std::string("bad command line: ") + e.what());
  }
  const StoredOptions options(map);

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
  OptionOrigins origins;
  FileCommand file_command;
  if (options.given("config")) {
    file_command = store_config_option(read_config_file, description, map, origins);
  }
  result.config = build_config(map, origins);

  Config& config = result.config;
  // A command on the command line replaces the file's.
  std::vector<std::string> command(args.begin() + command_start, args.end());
  std::string command_origin;  // empty: the command line
  if (command.empty()) {
    command = std::move(file_command.words);
    command_origin = file_command.origin;
  }
  if (!command.empty() && !config.script_dir.empty()) {
    fail("give either a COMMAND or --dir, not both (--dir serves every executable in it)" +
         (command_origin.empty() ? "" : "; " + command_origin + " sets the command"));
  }
  if (command.empty()) {
    if (!config.script_dir.empty() || !config.static_dir.empty() || !config.cgi_dir.empty()) {
      return result;  // endpoints from --dir, or a plain HTTP server
    }
    fail(
        "no command given: name the program to run for each connection, e.g. "
        "wsexec --port=8080 ./script.sh (or use --dir, --staticdir or --cgidir)" +
        (options.given("config") ? "; in " + options.last("config") + ": command = PROGRAM ARGS"
                                 : ""));
  }
  config.command = command.front();
  config.command_args.assign(command.begin() + 1, command.end());
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
      "       wsexec --config=FILE [options] [COMMAND [ARGS...]]\n"
      "\n"
      "Every WebSocket connection starts COMMAND (or, with --dir, the executable\n"
      "under DIR that the URL path names). Each message from the client is\n"
      "written to its stdin as a line; each line it prints on stdout is sent back as\n"
      "a message. Options end at the first argument that is not an option; every\n"
      "option may be written --name=value, --name value, -name=value or -name value.\n"
      "A --config file holds \"name = value\" lines and \"command = PROGRAM ARGS\"; an\n"
      "option or command on the command line replaces the file's (see wsexec(1)).\n"
      "\n"
      "options:\n";
  const po::options_description description = describe_options();
  for (const auto& option : description.options()) {
    std::string left = "  --" + option->long_name();
    const std::string value_name = option->semantic()->name();
    if (!value_name.empty()) left += "=" + value_name;
    left.resize(std::max<std::size_t>(left.size() + 2, 32), ' ');
    text += left + option->description() + "\n";
  }
  text +=
      "\n"
      "examples:\n"
      "  wsexec --port=8080 ./count.sh\n"
      "  wsexec --port=8080 --address=127.0.0.1 --binary cat\n"
      "  wsexec --port=8080 --unbuffered python3 ./report.py\n"
      "  wsexec --port=8080 --address=127.0.0.1 --pty bash\n"
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
