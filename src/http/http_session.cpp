#include "http/http_session.hpp"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <limits>
#include <optional>

#include "core/limits.hpp"
#include "core/request_router.hpp"
#include "core/url_path.hpp"
#include "http/cgi_exchange.hpp"
#include "http/client_script.hpp"
#include "http/devconsole_page.hpp"
#include "http/plain_response.hpp"
#include "http/request_facts.hpp"
#include "http/static_file.hpp"
#include "http/terminal_page.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/tls_context.hpp"
#include "shared/shared_session.hpp"
#include "sse/sse_exchange.hpp"
#include "sse/ws_resumable.hpp"
#include "websocket/negotiation.hpp"
#include "websocket/ws_session.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using Action = RouteDecision::Action;

using HeadParser = http::request_parser<http::empty_body>;
using ExtraHeaders = std::vector<std::pair<http::field, std::string>>;

// The page for every plain request under --devconsole. It computes the
// WebSocket URL from its own location, so nothing from the request is
// reflected into it.
http::response<http::string_body> console_response(const RequestHead& request, bool keep_alive,
                                                   const ServerState& state) {
  http::response<http::string_body> response{http::status::ok, request.version()};
  add_plain_response_headers(response, state.config, state.server_software);
  response.set(http::field::content_type, "text/html; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.set("Content-Security-Policy",
               "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
               "connect-src ws: wss:; img-src data:");
  // With --pty the program is a terminal session: the page is a terminal.
  response.body() = std::string(state.config.pty ? terminal_page() : devconsole_page());
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();
  response.keep_alive(keep_alive);
  return response;
}

std::string url_of(const PeerInfo& peer, const RequestHead& request) {
  // HTTP/1.0 without Host: the address is all we know.
  const std::string authority(
      find_header(request, http::field::host).value_or(peer.remote_address));
  return (peer.tls ? "https://" : "http://") + authority + std::string(request.target());
}

std::string context_of(const PeerInfo& peer, const RequestHead& request) {
  return log::make_context({{"url", url_of(peer, request)}, {"remote", peer.remote_address}});
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
        registration_(worker, this),
        router_settings_(router_settings_for(state)) {}

  void stop() override {
    if (sse_stop_) return sse_stop_();  // the stream ends itself, its close event first
    error_code ignored;                 // closing cancels the pending read, which ends serve()
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
        metrics::refused(RefusalReason::size);
        co_await respond(http::status::request_header_fields_too_large,
                         limits::kFallbackHttpVersion, false, "");
        break;
      }
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        // A head begun, or never sent at all; not a keep-alive connection left idle.
        if (ec == beast::error::timeout && (parser.got_some() || !served_a_request_)) {
          metrics::refused(RefusalReason::head_timeout);
        }
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
      served_a_request_ = true;
      // --sse: an event stream or a POST is routed as an upgrade would be.
      const SseRequestKind sse = sse_request_kind(parser.get(), state_.config);
      RequestHeadFacts facts = facts_of(parser.get());
      facts.event_stream = sse != SseRequestKind::none;
      const RouteDecision decision = route_request(facts, router_settings_);
      bool keep_alive = false;
      const bool allowed =
          decision.action == Action::upgrade_command || decision.action == Action::upgrade_script;
      if (allowed && sse != SseRequestKind::none) {
        keep_alive = co_await serve_sse(parser, buffer, sse, decision);
        linger_ = !keep_alive && sse == SseRequestKind::post;  // a body we may not have read
      } else if (allowed) {
        if (co_await upgrade(parser, decision)) co_return;  // the WebSocket session owns the stream
      } else {
        keep_alive = co_await answer(parser, buffer, decision);
      }
      if (!keep_alive) break;
    }
    co_await finish();
  }

 private:
  RequestHeadFacts facts_of(const RequestHead& request) const {
    return head_facts(request, role_.kind == ListenerRole::Kind::redirect);
  }

  // The router allowed the upgrade; with --subprotocol-required the client
  // must offer one of ours (400), then the --maxforks slot is taken here,
  // where the child is started (429 when none is free). Returns true when the
  // WebSocket session took the stream.
  asio::awaitable<bool> upgrade(HeadParser& parser, const RouteDecision& decision) {
    const RequestHead& request = parser.get();
    if (state_.config.subprotocol_required && !chosen_subprotocol(request, state_.config)) {
      co_await respond(http::status::bad_request, request.version(), false, url_of(peer_, request),
                       "reason:'offers none of --subprotocol'");
      co_return false;
    }
    if (is_resumable_upgrade(request, state_.config)) {  // wsexec.v1: a resumable session
      co_await serve_resumable_websocket(stream_, request, upgrade_target(decision, request), peer_,
                                         state_, worker_);
      co_return false;
    }
    if (state_.config.shared_mode != SharedMode::off) {  // the program holds the slot
      ScriptTarget target = upgrade_target(decision, request);
      start_shared_session(std::move(stream_), parser.release(), peer_, std::move(target), state_,
                           worker_);
      co_return true;
    }
    auto slot = ForkSlot::try_acquire(state_);
    if (!slot) {
      metrics::refused(RefusalReason::maxforks);
      co_await respond(http::status::too_many_requests, request.version(), false,
                       url_of(peer_, request));
      co_return false;
    }
    ScriptTarget target = upgrade_target(decision, request);
    start_ws_session(std::move(stream_), parser.release(), peer_, std::move(target),
                     std::move(*slot), state_, worker_);
    co_return true;
  }

  asio::awaitable<bool> serve_sse(HeadParser& parser, beast::flat_buffer& buffer,
                                  SseRequestKind kind, const RouteDecision& decision) {
    if (kind == SseRequestKind::post) {
      co_return co_await serve_sse_post(stream_, buffer, parser, peer_, state_);
    }
    co_return co_await serve_sse_open(stream_, parser.get(), upgrade_target(decision, parser.get()),
                                      peer_, state_, worker_, &sse_stop_);
  }

  ScriptTarget upgrade_target(const RouteDecision& decision, const RequestHead& request) const {
    return decision.action == Action::upgrade_script
               ? script_target(*state_.script_dir, decision.script, request)
               : command_target(state_, request);
  }

  // Everything but an upgrade the router allowed. Returns whether the
  // connection may serve another request.
  asio::awaitable<bool> answer(HeadParser& parser, beast::flat_buffer& buffer,
                               const RouteDecision& decision) {
    const RequestHead& request = parser.get();
    // A body nobody reads would be taken for the next request: only CGI
    // reads bodies, so any other answer closes the connection. A refused
    // upgrade closes it too, as websocketd does.
    linger_ = !parser.is_done();
    const bool keep_alive =
        request.keep_alive() && parser.is_done() &&
        !(decision.action == Action::refuse && facts_of(request).websocket_upgrade);
    if (decision.action == Action::cgi)
      co_return co_await run_cgi(parser, buffer, decision, keep_alive);
    co_return co_await perform(decision, request, keep_alive);
  }

  // A CGI script, and the local redirects it asks for (RFC 3875 6.2.2), each
  // routed afresh, at most limits::kMaxLocalRedirects of them.
  asio::awaitable<bool> run_cgi(HeadParser& parser, beast::flat_buffer& buffer,
                                RouteDecision decision, bool keep_alive) {
    // A copy: running a script moves the head out of the parser, and a local
    // redirect rewrites it.
    RequestHead head = parser.get();
    HeadParser* body = &parser;
    bool reusable = true;  // no run so far left the connection unusable
    for (int redirects = 0;; ++redirects) {
      const CgiOutcome outcome = co_await exchange_cgi(
          stream_, buffer, body, head, script_target(*state_.cgi_dir, decision.script, head), peer_,
          url_of(peer_, head), state_);
      reusable = reusable && outcome.keep_alive;
      if (!outcome.local_redirect) {
        linger_ = !reusable;
        co_return reusable;
      }
      if (redirects == limits::kMaxLocalRedirects) {
        co_await respond(http::status::loop_detected, head.version(), false, url_of(peer_, head));
        co_return false;
      }
      // The new path is answered as a GET, without the original body (the
      // first script has consumed it).
      head.method(http::verb::get);
      head.target(*outcome.local_redirect);
      head.erase(http::field::content_length);
      head.erase(http::field::content_type);
      head.erase(http::field::transfer_encoding);
      body = nullptr;
      decision = route_request(facts_of(head), router_settings_);
      if (decision.action != Action::cgi) {
        linger_ = linger_ || !reusable;
        co_return co_await perform(decision, head, keep_alive && reusable);
      }
    }
  }

  // A decision that needs no request body: a redirect, a refusal, the dev
  // console or a static file.
  asio::awaitable<bool> perform(const RouteDecision& decision, const RequestHead& request,
                                bool keep_alive) {
    const auto status = static_cast<http::status>(decision.status);
    switch (decision.action) {
      case Action::dev_console:
        co_return co_await send_page(console_response(request, keep_alive, state_), request,
                                     "DEVCONSOLE") &&
            keep_alive;
      case Action::client_script:
        co_return co_await send_page(
            client_script_response(find_header(request, http::field::if_none_match),
                                   request.version(), keep_alive, state_.config,
                                   state_.server_software),
            request, "CLIENTJS") &&
            keep_alive;
      case Action::static_file:
        co_return co_await serve_static_file(stream_, request,
                                             state_.static_dir->absolute(decision.file),
                                             context_of(peer_, request), state_) &&
            keep_alive;
      case Action::redirect: {
        const ExtraHeaders location{{http::field::location, decision.location}};
        co_await respond(status, request.version(), keep_alive, url_of(peer_, request),
                         std::string(), location);
        co_return keep_alive;
      }
      case Action::refuse: {
        ExtraHeaders extra;
        if (!decision.allow.empty()) extra.emplace_back(http::field::allow, decision.allow);
        if (decision.log_detail.starts_with("origin:")) metrics::refused(RefusalReason::origin);
        co_await respond(status, request.version(), keep_alive, url_of(peer_, request),
                         decision.log_detail, extra);
        co_return keep_alive;
      }
      case Action::cgi:
      case Action::upgrade_command:
      case Action::upgrade_script:
        break;  // never asked of perform(): they need the parser
    }
    co_await respond(http::status::internal_server_error, request.version(), false,
                     url_of(peer_, request));
    co_return false;
  }

  // A page of our own (the dev console, the client script), whole, or its
  // head alone for HEAD. False when the write failed.
  asio::awaitable<bool> send_page(http::response<http::string_body> response,
                                  const RequestHead& request, const char* label) {
    log::write(LogLevel::access, "http", context_of(peer_, request), label);
    metrics::responded(response.result_int());
    error_code ec;
    beast::get_lowest_layer(stream_).expires_after(limits::kResponseTimeout);
    if (request.method() == http::verb::head) {
      http::response_serializer<http::string_body> serializer{response};
      co_await http::async_write_header(stream_, serializer,
                                        asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await http::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !ec;
  }

  // A plain HTTP answer of our own, with --header and --header-http, logged
  // at access level like every plain request.
  asio::awaitable<void> respond(http::status status, unsigned version, bool keep_alive,
                                const std::string& url, const std::string& extra_context = {},
                                const ExtraHeaders& extra_headers = {}) {
    PlainResponse response =
        plain_response(status, version, keep_alive, state_.config, state_.server_software);
    for (const auto& [field, value] : extra_headers) response.set(field, value);
    std::string context = log::make_context({{"url", url}, {"remote", peer_.remote_address}});
    if (!extra_context.empty()) context += " " + extra_context;
    log::write(LogLevel::access, "http", context, access_label(status));
    metrics::responded(static_cast<unsigned>(status));

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
      metrics::tls_handshake_failed();
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
  const RouterSettings router_settings_;
  bool linger_ = false;   // unread request bytes may still be arriving
  SseStopHook sse_stop_;  // set while an event stream runs
  // After the first request, a head timeout is an idle keep-alive, not a refusal.
  bool served_a_request_ = false;
};

}  // namespace

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket, asio::ip::tcp::endpoint remote,
                                       ListenerRole role, ServerState& state, Worker& worker) {
  error_code ec;
  if (!role.accepts_with_nodelay) {
    socket.set_option(asio::ip::tcp::no_delay(true), ec);  // latency of small messages
  }
  std::uint16_t local_port = role.local_port;
  if (local_port == 0) {
    const auto local = socket.local_endpoint(ec);
    if (ec) co_return;  // gone before we looked
    local_port = local.port();
  }
  PeerInfo peer;
  // The all-interfaces listener is dual-stack: an IPv4 client arrives as
  // ::ffff:a.b.c.d, which programs (and websocketd) know as a.b.c.d.
  auto address = remote.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  peer.remote_address = address.to_string();
  peer.remote_port = remote.port();
  peer.local_port = local_port;

  PlainStream stream(std::move(socket));
  if (role.tls != nullptr) {
    // Each connection takes the context current at accept time; a SIGHUP
    // reload affects only later connections.
    TlsStream tls_stream(std::move(stream), *role.tls->current());
    HttpConnection<TlsStream> connection(std::move(tls_stream), std::move(peer), role, state,
                                         worker);
    co_await connection.serve();
  } else {
    HttpConnection<PlainStream> connection(std::move(stream), std::move(peer), role, state, worker);
    co_await connection.serve();
  }
}

asio::awaitable<void> serve_unix_connection(asio::local::stream_protocol::socket socket,
                                            ListenerRole role, ServerState& state, Worker& worker) {
  PeerInfo peer;
  peer.remote_address = "unix:";  // what nginx calls a Unix-socket client
  HttpConnection<UnixStream> connection(UnixStream(std::move(socket)), std::move(peer), role, state,
                                        worker);
  co_await connection.serve();
}

}  // namespace wsexec
