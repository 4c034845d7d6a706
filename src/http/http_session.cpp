#include "http/http_session.hpp"

#include <openssl/ssl.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <array>
#include <chrono>
#include <limits>
#include <optional>

#include "core/limits.hpp"
#include "http/cgi_runner.hpp"
#include "http/devconsole_page.hpp"
#include "core/dir_router.hpp"
#include "server/log.hpp"
#include "core/origin_policy.hpp"
#include "http/static_file.hpp"
#include "core/static_resolver.hpp"
#include "server/tls_context.hpp"
#include "core/url_path.hpp"
#include "websocket/ws_session.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;


using HeadParser = http::request_parser<http::empty_body>;
using ExtraHeaders = std::vector<std::pair<http::field, std::string>>;

// The status line words websocketd logs ("NOT FOUND"), so log parsers match.
std::string access_label(http::status status) {
  std::string label(http::obsolete_reason(status));
  for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return label;
}

bool is_get_or_head(const RequestHead& request) {
  return request.method() == http::verb::get || request.method() == http::verb::head;
}

template <typename Stream>
class HttpConnection : public Stoppable {
 public:
  HttpConnection(Stream stream, PeerInfo peer, ListenerRole role, ServerState& state,
                 Worker& worker)
      : stream_(std::move(stream)),
        peer_(std::move(peer)),
        role_(role),
        state_(state),
        worker_(worker),
        registration_(worker, this) {}

  void stop() override {
    error_code ignored;  // closing cancels the pending read, which ends serve()
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  asio::awaitable<void> serve() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (!co_await handshake()) co_return;
    }
    beast::flat_buffer buffer;
    error_code ec;
    while (!state_.stopping.load(std::memory_order_relaxed)) {
      HeadParser parser;
      parser.header_limit(limits::kMaxRequestHeadBytes);
      // Bodies are the business of whoever reads them (CGI, with its own
      // limit); any other request with a body is answered and closed. Not
      // boost::none: Beast 1.74 compares the length with the empty optional
      // and refuses every body.
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      beast::get_lowest_layer(stream_).expires_after(limits::kRequestHeadTimeout);
      co_await http::async_read_header(stream_, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::header_limit) {
        co_await respond(http::status::request_header_fields_too_large, limits::kFallbackHttpVersion, false, "");
        break;
      }
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        break;
      }
      if (ec) {
        co_await respond(http::status::bad_request, limits::kFallbackHttpVersion, false, "");
        break;
      }
      // The absolute form must be accepted (RFC 9112 section 3.2.2): its
      // authority replaces Host, and the rest is served as usual.
      if (auto absolute = split_absolute_form(parser.get().target())) {
        parser.get().set(http::field::host, absolute->first);
        parser.get().target(absolute->second);
      }
      bool keep_alive = false;
      if (role_.kind == ListenerRole::Kind::redirect) {
        keep_alive = co_await redirect_to_canonical(parser);
      } else if (beast::websocket::is_upgrade(parser.get())) {
        if (co_await upgrade(parser)) co_return;  // the WebSocket session owns the stream now
      } else {
        keep_alive = co_await dispatch_plain(parser, buffer);
      }
      if (!keep_alive) break;
    }
    co_await finish();
  }

 private:
  std::string scheme() const { return peer_.tls ? "https" : "http"; }

  std::string url_of(const RequestHead& request) const {
    // HTTP/1.0 without Host: the address is all we know.
    const std::string authority(
        find_header(request, http::field::host).value_or(peer_.remote_address));
    return scheme() + "://" + authority + std::string(request.target());
  }

  std::string context_of(const RequestHead& request) const {
    return log::make_context({{"url", url_of(request)}, {"remote", peer_.remote_address}});
  }

  // A WebSocket upgrade: origin (403), route (404), --maxforks (429), in
  // that order, then the session takes the stream. Returns true when it did.
  asio::awaitable<bool> upgrade(HeadParser& parser) {
    const RequestHead& request = parser.get();
    const auto origin = find_header(request, http::field::origin);
    const auto host = find_header(request, http::field::host).value_or("");
    if (!origin_allowed(state_.config.origin_policy, origin, host)) {
      co_await respond(http::status::forbidden, request.version(), false, url_of(request),
                       "origin:'" + std::string(origin.value_or("")) + "'");
      co_return false;
    }
    std::optional<ScriptTarget> target;
    if (state_.script_dir) {
      const auto [path, query] = split_target(request.target());
      const RouteResult route = route_to_script(path, state_.script_dir->lookup());
      if (route.outcome != RouteResult::Outcome::script) {
        co_await respond(route.outcome == RouteResult::Outcome::forbidden
                             ? http::status::forbidden
                             : http::status::not_found,
                         request.version(), false, url_of(request));
        co_return false;
      }
      target = script_target(*state_.script_dir, route, request);
    } else if (!state_.config.command.empty()) {
      target = command_target(request);
    } else {  // a plain HTTP server (--staticdir / --cgidir only): no endpoint
      co_await respond(http::status::not_found, request.version(), false, url_of(request));
      co_return false;
    }
    auto slot = ForkSlot::try_acquire(state_);
    if (!slot) {
      co_await respond(http::status::too_many_requests, request.version(), false, url_of(request));
      co_return false;
    }
    start_ws_session(std::move(stream_), parser.release(), peer_, std::move(*target),
                     std::move(*slot), state_, worker_);
    co_return true;
  }

  // Single-command mode, as websocketd names it: the script is the root and
  // the whole path is PATH_INFO.
  ScriptTarget command_target(const RequestHead& request) const {
    const Config& config = state_.config;
    ScriptTarget target;
    target.executable = state_.executable;
    target.argv.push_back(config.command);
    target.argv.insert(target.argv.end(), config.command_args.begin(), config.command_args.end());
    const auto [path, query] = split_target(request.target());
    target.script_name = "/";
    target.path_info = std::string(path);
    target.path_translated = target.path_info;
    return target;
  }

  // A script chosen by the URL under --dir or --cgidir.
  static ScriptTarget script_target(const ServedDirectory& directory, const RouteResult& route,
                                    const RequestHead& request) {
    ScriptTarget target;
    target.executable = directory.absolute(route.route.relative_path);
    target.argv.push_back(target.executable);
    target.script_name = route.route.script_name;
    target.path_info = route.route.path_info;
    // As websocketd does: the URL path (there is no document root to map to).
    target.path_translated = std::string(split_target(request.target()).first);
    return target;
  }

  // Everything that is not an upgrade, in websocketd's order: the dev
  // console, a CGI script, a static file, else 404. Returns whether the
  // connection may serve another request.
  asio::awaitable<bool> dispatch_plain(HeadParser& parser, beast::flat_buffer& buffer) {
    // A body nobody reads would be taken for the next request: only CGI
    // reads bodies, so any other answer closes the connection.
    const bool unread_body = !parser.is_done();
    bool keep_alive = parser.get().keep_alive() && !unread_body;
    linger_ = unread_body;
    if (state_.config.dev_console) co_return co_await serve_console(parser.get(), keep_alive);

    // A copy: running a script moves the head out of the parser, and a local
    // redirect rewrites it.
    RequestHead head = parser.get();
    HeadParser* body = &parser;
    bool reusable = true;  // no run so far left the connection unusable
    // Without --staticdir, a path that tries to leave --cgidir gets 403, as
    // under --dir; with it, the static resolver decides.
    bool cgi_forbidden = false;
    for (int redirects = 0; state_.cgi_dir; ++redirects) {
      const auto [path, query] = split_target(head.target());
      const RouteResult route = route_to_script(path, state_.cgi_dir->lookup());
      cgi_forbidden = route.outcome == RouteResult::Outcome::forbidden;
      if (route.outcome != RouteResult::Outcome::script) break;  // static decides, or 404/403
      const CgiOutcome outcome =
          co_await run_cgi(stream_, buffer, body, head, script_target(*state_.cgi_dir, route, head),
                           peer_, url_of(head), state_);
      reusable = reusable && outcome.keep_alive;
      if (!outcome.local_redirect) {
        linger_ = !reusable;
        co_return reusable;
      }
      if (redirects == limits::kMaxLocalRedirects) {
        co_await respond(http::status::loop_detected, head.version(), false, url_of(head));
        co_return false;
      }
      // RFC 3875 6.2.2: the server answers the new path as a GET, without
      // the original body (the first script has consumed it).
      head.method(http::verb::get);
      head.target(*outcome.local_redirect);
      head.erase(http::field::content_length);
      head.erase(http::field::content_type);
      head.erase(http::field::transfer_encoding);
      body = nullptr;
    }

    const RequestHead& request = head;
    keep_alive = keep_alive && reusable;
    linger_ = linger_ || !reusable;
    if (!state_.static_dir) {
      co_await respond(cgi_forbidden ? http::status::forbidden : http::status::not_found,
                       request.version(), keep_alive, url_of(request));
      co_return keep_alive;
    }
    if (!is_get_or_head(request)) {
      const ExtraHeaders extra{{http::field::allow, "GET, HEAD"}};
      co_await respond(http::status::method_not_allowed, request.version(), keep_alive,
                       url_of(request), std::string(), extra);
      co_return keep_alive;
    }
    const auto [path, query] = split_target(request.target());
    const StaticResult found = resolve_static(path, query, state_.static_dir->lookup());
    switch (found.outcome) {
      case StaticResult::Outcome::file: {
        const std::string file = state_.static_dir->absolute(found.relative_path);
        // A --cgidir inside --staticdir: a script's source is never shown.
        if (state_.cgi_dir && state_.cgi_dir->contains(file)) break;
        co_return co_await serve_static_file(stream_, request, file, context_of(request), state_)
            && keep_alive;
      }
      case StaticResult::Outcome::redirect: {
        const ExtraHeaders extra{{http::field::location, found.location}};
        co_await respond(http::status::moved_permanently, request.version(), keep_alive,
                         url_of(request), std::string(), extra);
        co_return keep_alive;
      }
      case StaticResult::Outcome::not_found:
        co_await respond(http::status::not_found, request.version(), keep_alive, url_of(request));
        co_return keep_alive;
      case StaticResult::Outcome::forbidden:
        break;
    }
    co_await respond(http::status::forbidden, request.version(), keep_alive, url_of(request));
    co_return keep_alive;
  }

  // --devconsole: the same page for every plain request. The page computes
  // the WebSocket URL from its own location, so nothing from the request is
  // reflected into it.
  asio::awaitable<bool> serve_console(const RequestHead& request, bool keep_alive) {
    if (!is_get_or_head(request)) {
      const ExtraHeaders extra{{http::field::allow, "GET, HEAD"}};
      co_await respond(http::status::method_not_allowed, request.version(), keep_alive,
                       url_of(request), std::string(), extra);
      co_return keep_alive;
    }
    http::response<http::string_body> response{http::status::ok, request.version()};
    add_plain_response_headers(response, state_.config, state_.server_software);
    response.set(http::field::content_type, "text/html; charset=utf-8");
    response.set(http::field::cache_control, "no-store");
    response.set("Content-Security-Policy",
                 "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                 "connect-src ws: wss:; img-src data:");
    response.body() = std::string(devconsole_page());
    response.prepare_payload();
    if (request.method() == http::verb::head) response.body().clear();
    response.keep_alive(keep_alive);
    log::write(LogLevel::access, "http", context_of(request), "DEVCONSOLE");
    error_code ec;
    beast::get_lowest_layer(stream_).expires_after(limits::kResponseTimeout);
    if (request.method() == http::verb::head) {
      http::response_serializer<http::string_body> serializer{response};
      co_await http::async_write_header(stream_, serializer,
                                        asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return keep_alive && !ec;
  }

  // --redirport: the same path and query on the canonical port, https with --ssl.
  asio::awaitable<bool> redirect_to_canonical(const HeadParser& parser) {
    const RequestHead& request = parser.get();
    const auto [host, port] =
        split_host_header(find_header(request, http::field::host).value_or(""));
    const std::string name = host.empty() ? "localhost" : host;
    const bool tls = state_.config.tls;
    const unsigned default_port = tls ? 443 : 80;
    std::string location = std::string(tls ? "https://" : "http://") +
                           (name.find(':') != std::string::npos ? "[" + name + "]" : name);
    if (state_.config.port != default_port) location += ":" + std::to_string(state_.config.port);
    location += request.target();
    const bool keep_alive = request.keep_alive() && parser.is_done();
    const ExtraHeaders extra{{http::field::location, location}};
    co_await respond(http::status::moved_permanently, request.version(), keep_alive,
                     url_of(request), std::string(), extra);
    co_return keep_alive;
  }

  // A plain HTTP answer of our own, with --header and --header-http, logged
  // at access level like every plain request.
  asio::awaitable<void> respond(http::status status, unsigned version, bool keep_alive,
                                const std::string& url, const std::string& extra_context = {},
                                const ExtraHeaders& extra_headers = {}) {
    http::response<http::string_body> response{status, version};
    add_plain_response_headers(response, state_.config, state_.server_software);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    for (const auto& [field, value] : extra_headers) response.set(field, value);
    response.body() = std::to_string(static_cast<unsigned>(status)) + " " +
                      std::string(http::obsolete_reason(status)) + "\n";
    response.keep_alive(keep_alive);
    response.prepare_payload();

    std::string context = log::make_context({{"url", url}, {"remote", peer_.remote_address}});
    if (!extra_context.empty()) context += " " + extra_context;
    log::write(LogLevel::access, "http", context, access_label(status));

    error_code ec;  // a client that left before its answer needs nothing more
    beast::get_lowest_layer(stream_).expires_after(limits::kResponseTimeout);
    co_await http::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
  }

  // Drops a client that connects but never completes the TLS handshake
  // (after the same time a plain client has for its request head).
  asio::awaitable<bool> handshake() {
    beast::get_lowest_layer(stream_).expires_after(limits::kRequestHeadTimeout);
    error_code ec;
    co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      log::write(LogLevel::info, "http", log::make_context({{"remote", peer_.remote_address}}),
                 "TLS handshake failed: " + ec.message());
      co_return false;
    }
    peer_.tls = true;
    peer_.client_subject = peer_certificate_subject(stream_.native_handle());
    co_return true;
  }

  // Ends the connection politely: close_notify under TLS, FIN otherwise.
  // When the client may still be sending a body we did not read, closing
  // at once would answer its bytes with a reset, which can destroy our
  // response before it is read; so the rest is read and dropped for a
  // moment first ("lingering close").
  asio::awaitable<void> finish() {
    error_code ec;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(limits::kTlsShutdownTimeout);
      co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    auto& lowest = beast::get_lowest_layer(stream_);
    lowest.socket().shutdown(asio::socket_base::shutdown_send, ec);
    if (!linger_) co_return;
    std::array<char, limits::kLingerReadBytes> discard;
    lowest.expires_after(limits::kLingerTime);
    for (std::size_t drained = 0; !ec && drained < limits::kMaxLingerBytes;) {
      drained += co_await lowest.async_read_some(asio::buffer(discard),
                                                 asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  Stream stream_;
  PeerInfo peer_;
  ListenerRole role_;
  ServerState& state_;
  Worker& worker_;
  WorkerRegistration registration_;
  bool linger_ = false;  // unread request bytes may still be arriving
};

}  // namespace

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket, ListenerRole role,
                                       ServerState& state, Worker& worker) {
  error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);  // latency of small messages
  const auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;  // gone before we looked
  const auto local = socket.local_endpoint(ec);
  if (ec) co_return;
  PeerInfo peer;
  // The all-interfaces listener is dual-stack: an IPv4 client arrives as
  // ::ffff:a.b.c.d, which programs (and websocketd) know as a.b.c.d.
  auto address = remote.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  peer.remote_address = address.to_string();
  peer.remote_port = remote.port();
  peer.local_port = local.port();

  PlainStream stream(std::move(socket));
  if (role.tls != nullptr) {
    // Each connection takes the context current at accept time; a SIGHUP
    // reload affects only later connections.
    TlsStream tls_stream(std::move(stream), *role.tls->current());
    HttpConnection<TlsStream> connection(std::move(tls_stream), std::move(peer), role, state,
                                         worker);
    co_await connection.serve();
  } else {
    HttpConnection<PlainStream> connection(std::move(stream), std::move(peer), role, state,
                                           worker);
    co_await connection.serve();
  }
}

asio::awaitable<void> serve_unix_connection(asio::local::stream_protocol::socket socket,
                                            ListenerRole role, ServerState& state,
                                            Worker& worker) {
  PeerInfo peer;
  peer.remote_address = "unix:";  // what nginx calls a Unix-socket client
  HttpConnection<UnixStream> connection(UnixStream(std::move(socket)), std::move(peer), role,
                                        state, worker);
  co_await connection.serve();
}

}  // namespace wsexec
