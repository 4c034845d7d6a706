#pragma once
// What to do with one request, decided from the facts of its head and the
// server's configuration alone. Pure: the served directories are consulted
// only through EntryLookup, so every rule is unit tested against an
// in-memory tree; the HTTP session performs what this returns.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/dir_router.hpp"
#include "core/entry_lookup.hpp"
#include "core/origin_policy.hpp"

namespace wsexec {

// The methods the routing rules tell apart; anything else is `other`.
enum class HttpMethod { get, head, other };

struct RequestHeadFacts {
  HttpMethod method = HttpMethod::get;
  std::string_view target;  // origin form, "/a/b?q" (absolute form already split off)
  bool websocket_upgrade = false;
  unsigned http_version = 11;  // 10 or 11, as Beast numbers them
  std::optional<std::string_view> host;
  std::size_t host_count = 1;  // how many Host fields the head has
  std::optional<std::string_view> origin;
  std::optional<std::string_view> websocket_key;  // Sec-WebSocket-Key
  std::size_t websocket_key_count = 0;
  bool on_redirect_listener = false;  // accepted on --redirport
  // --sse: a Server-Sent Events open or POST (core/sse_protocol), routed
  // as an upgrade is (origin policy, --dir), without the key checks.
  bool event_stream = false;
};

// The configuration the rules read. A directory option that is not given is
// an empty lookup.
struct RouterSettings {
  bool has_command = false;  // single-command mode: every upgrade runs it
  EntryLookup script_dir;    // --dir
  EntryLookup static_dir;    // --staticdir
  EntryLookup cgi_dir;       // --cgidir
  // Whether a static file (relative to --staticdir) lies inside --cgidir: a
  // script's source is never served. Answered by the I/O side (realpath).
  std::function<bool(const std::string& static_relative)> inside_cgi_dir;
  bool dev_console = false;
  const OriginPolicy* origin_policy = nullptr;  // null: every origin
  unsigned port = 0;                            // --port, for --redirport's Location
  bool tls = false;                             // --ssl
};

// Where every wsexec serves its browser client (src/http/client.js). Under
// /.wsexec/, a name no site is likely to use, so it shadows nothing real.
inline constexpr std::string_view kClientScriptPath = "/.wsexec/client.js";

struct RouteDecision {
  enum class Action {
    upgrade_command,  // WebSocket: the configured command
    upgrade_script,   // WebSocket: `script` under --dir
    dev_console,      // the --devconsole page
    client_script,    // /.wsexec/client.js, the browser client library
    cgi,              // `script` under --cgidir
    static_file,      // `file` under --staticdir
    redirect,         // 301 to `location`
    refuse,           // `status` (with `allow` for 405)
  };
  Action action = Action::refuse;
  unsigned status = 404;   // refuse: the status; redirect: 301
  ScriptRoute script;      // upgrade_script, cgi
  std::string file;        // static_file: relative to --staticdir
  std::string location;    // redirect: the Location value
  std::string allow;       // refuse with 405: the Allow value
  std::string log_detail;  // refuse: what the access log adds ("origin:'...'")
};

// The rules, in order:
// - a malformed head -> 400: a target that is not ASCII or not an absolute
//   path ("*" aside, for methods other than GET and HEAD); two Host fields,
//   or none in HTTP/1.1 (RFC 9112 section 3.2); for an upgrade, a Sec-WebSocket-Key that is
//   missing, repeated or not the base64 of 16 bytes (RFC 6455 sections 4.2.1, 11.3.1).
// - on the --redirport listener: 301 to the same target on the canonical
//   URL (https with --ssl; the port unless it is the scheme's default).
// - an upgrade: a refused origin -> 403; under --dir, a path whose ".."
//   segments stay inside -> 301 to the normalised path, one that escapes
//   -> 403, else the script (404/403 as dir_router says); with a command
//   -> the command; with neither (a plain HTTP server) -> 404.
// - a plain request for kClientScriptPath (any query): the client library
//   for GET/HEAD, else 405, whatever the other options (docs/fallback.md).
// - a plain request with --devconsole: the page for GET/HEAD, else 405.
// - a plain request with --staticdir or --cgidir: ".." inside -> 301,
//   escaping -> 403; then an executable under --cgidir -> CGI; then, with
//   --staticdir, GET/HEAD only (else 405) as static_resolver says, a file
//   inside --cgidir being 403; without --staticdir, 403 when the path tried
//   to leave --cgidir, else 404.
// - anything else -> 404.
RouteDecision route_request(const RequestHeadFacts& request, const RouterSettings& settings);

}  // namespace wsexec
