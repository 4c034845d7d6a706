#pragma once
// The command line, parsed and validated into a Config. Pure: takes the
// arguments, returns values or throws ConfigError; nothing is opened, looked
// up or bound here (main() resolves the command and binds afterwards).
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_log.hpp"
#include "core/log_level.hpp"
#include "core/origin_policy.hpp"

namespace wsexec {

// A start-up error: `what()` is one sentence for the user; `exit_status` is 2
// for an unknown option (websocketd's usage error) and 1 for everything else.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& message, int exit_status, bool show_usage = false)
      : std::runtime_error(message), exit_status_(exit_status), show_usage_(show_usage) {}
  int exit_status() const { return exit_status_; }
  bool show_usage() const { return show_usage_; }

 private:
  int exit_status_;
  bool show_usage_;
};

struct HeaderField {
  std::string name;
  std::string value;
};

// --shared: one program per endpoint for every client (docs/shared.md).
enum class SharedMode { off, broadcast, addressed };

struct Config {
  unsigned port = 80;                  // 443 with --ssl
  unsigned redirect_port = 0;          // --redirport; 0 = none
  std::string unix_socket;             // --unixsocket; empty = none
  bool unix_socket_only = false;       // no --port, --address or --redirport given
  bool tls = false;                    // --ssl
  std::string tls_certificate;         // --sslcert
  std::string tls_key;                 // --sslkey
  std::string tls_client_ca;           // --sslca; empty = no client certificates
  std::vector<std::string> addresses;  // as given, IPv6 without brackets; empty = all interfaces
  bool binary = false;
  bool pass_stderr = false;
  bool reverse_lookup = false;
  OriginPolicy origin_policy;
  std::vector<std::string> passenv{"PATH", "LD_LIBRARY_PATH"};
  unsigned max_forks = 1024;             // 0 = unlimited
  std::size_t max_frame_size = 1 << 20;  // bytes; 0 = unlimited
  unsigned close_ms = 0;
  unsigned ping_ms = 0;                   // 0 = no pings
  unsigned poll_us = 100;                 // --pollus, µs; 0 = never poll
  std::vector<HeaderField> headers;       // every response
  std::vector<HeaderField> headers_ws;    // 101 responses
  std::vector<HeaderField> headers_http;  // plain HTTP responses
  LogLevel log_level = LogLevel::access;
  std::string script_dir;    // --dir: each executable in it is an endpoint
  std::string static_dir;    // --staticdir
  std::string cgi_dir;       // --cgidir
  bool dev_console = false;  // --devconsole
  std::string command;       // as given (argv[0] of the child); empty with --dir
  std::vector<std::string> command_args;

  // Session timeouts (--idlems, --lifetimems): 0 = off.
  unsigned idle_ms = 0;      // close a session with no message either way for this long
  unsigned lifetime_ms = 0;  // close any session this long after it connected
  // WebSocket extensions and subprotocols (--compress, --subprotocol).
  bool compress = false;                  // offer permessage-deflate (RFC 7692)
  std::vector<std::string> subprotocols;  // ours, most preferred first; empty = none chosen
  bool subprotocol_required = false;      // refuse (400) a client offering none of them
  // Terminals (issue 14): the program's stdout on a raw pseudo-terminal
  // (--unbuffered), or the program as a terminal session (--pty).
  bool unbuffered = false;
  bool pty = false;
  // Metrics, health and JSON logs (--metrics, --logformat).
  std::string metrics_address;  // an IP literal; empty = no metrics listener
  unsigned metrics_port = 0;
  LogFormat log_format = LogFormat::text;
  // Operations under systemd (issue 15: drain, privilege drop; see
  // core/service_options).
  unsigned drain_ms = 0;     // --drainms: how long open sessions may go on after SIGTERM
  std::string run_as_user;   // --user; empty = stay who we are
  std::string run_as_group;  // --group; empty = the user's primary group
  // Shared programs (--shared, docs/shared.md).
  SharedMode shared_mode = SharedMode::off;
  // --sharedidlems: end the program after this long without clients;
  // nullopt keeps it running.
  std::optional<unsigned> shared_idle_ms;
  // --sendqueue: bytes a client may fall behind before it is closed (1008).
  std::size_t send_queue_bytes = 1 << 20;
  // The HTTP fallback transport (--sse, --resumems, --resumebuffer;
  // docs/sse-protocol.md).
  bool sse = false;
  unsigned sse_resume_ms = 0;                     // keep a vanished client's session this long
  std::size_t sse_resume_buffer_bytes = 1 << 20;  // output kept for a resume
};

enum class StartupAction { serve, show_help, show_version, show_license };

struct CommandLine {
  StartupAction action = StartupAction::serve;
  Config config;
};

// The text of the file --config names: the caller reads it (main() from the
// disk, the unit tests from memory), so this layer opens nothing. Throws
// ConfigError when the file cannot be read.
using ConfigFileReader = std::function<std::string(const std::string& path)>;

// Parses the arguments after argv[0]. Options end at the first argument that
// is not an option (or after "--"); the rest is the command and its
// arguments, untouched. With --config=FILE, the options and the command
// that the command line does not give are read from FILE
// (core/config_file.hpp); without a reader, --config is refused.
CommandLine parse_command_line(const std::vector<std::string>& args,
                               const ConfigFileReader& read_config_file = nullptr);

// The --help text, every option with two dashes and its default.
std::string help_text();
// The short usage printed with an unknown option.
std::string usage_text();
std::string version_text();
std::string license_text();

}  // namespace wsexec
