#include "http_session.hpp"

#include <openssl/ssl.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <optional>

#include "cgi_env.hpp"
#include "log.hpp"
#include "origin_policy.hpp"
#include "tls_context.hpp"
#include "ws_session.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// A client has this long to finish the TLS handshake and then to send a
// complete request head; slow clients are dropped instead of holding a
// connection forever.
constexpr std::chrono::seconds kRequestHeadTimeout{10};
// Larger request heads get 431 (browsers send well under 8 KiB).
constexpr std::uint32_t kMaxRequestHeadBytes = 16 * 1024;
// Time allowed to write one plain HTTP response.
constexpr std::chrono::seconds kResponseTimeout{10};

// The status line words websocketd logs ("NOT FOUND"), so log parsers match.
std::string access_label(http::status status) {
  std::string label(http::obsolete_reason(status));
  for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return label;
}

std::optional<std::string_view> find_header(const UpgradeRequest& request, http::field field) {
  const auto found = request.find(field);
  if (found == request.end()) return std::nullopt;
  return found->value();
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
      http::request_parser<http::empty_body> parser;
      parser.header_limit(kMaxRequestHeadBytes);
      beast::get_lowest_layer(stream_).expires_after(kRequestHeadTimeout);
      co_await http::async_read(stream_, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::header_limit) {
        co_await respond(http::status::request_header_fields_too_large, 11, false, "");
        break;
      }
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
        break;
      }
      if (ec) {
        co_await respond(http::status::bad_request, 11, false, "");
        break;
      }
      UpgradeRequest request = parser.release();
      const bool keep_alive = request.keep_alive();
      if (role_.kind == ListenerRole::Kind::redirect) {
        co_await redirect_to_canonical(request);
      } else if (beast::websocket::is_upgrade(request)) {
        co_await upgrade(std::move(request));
        co_return;
      } else {
        co_await respond(http::status::not_found, request.version(), keep_alive,
                         url_of(request));
      }
      if (!keep_alive) break;
    }
    co_await finish();
  }

 private:
  std::string scheme() const { return peer_.tls ? "https" : "http"; }

  std::string url_of(const UpgradeRequest& request) const {
    // HTTP/1.0 without Host: the address is all we know.
    const std::string authority(find_header(request, http::field::host).value_or(peer_.remote_address));
    return scheme() + "://" + authority + std::string(request.target());
  }

  asio::awaitable<void> upgrade(UpgradeRequest request) {
    const auto origin = find_header(request, http::field::origin);
    const auto host = find_header(request, http::field::host).value_or("");
    if (!origin_allowed(state_.config.origin_policy, origin, host)) {
      co_await respond(http::status::forbidden, request.version(), false, url_of(request),
                       "origin:'" + std::string(origin.value_or("")) + "'");
      co_return;
    }
    auto slot = ForkSlot::try_acquire(state_);
    if (!slot) {
      co_await respond(http::status::too_many_requests, request.version(), false, url_of(request));
      co_return;
    }
    ScriptTarget target = command_target(request);
    start_ws_session(std::move(stream_), std::move(request), peer_, std::move(target),
                     std::move(*slot), state_, worker_);
  }

  // Single-command mode, as websocketd names it: the script is the root and
  // the whole path is PATH_INFO.
  ScriptTarget command_target(const UpgradeRequest& request) const {
    const Config& config = state_.config;
    ScriptTarget target;
    target.executable = state_.executable;
    target.argv.push_back(config.command);
    target.argv.insert(target.argv.end(), config.command_args.begin(), config.command_args.end());
    const std::string_view path = request.target().substr(0, request.target().find('?'));
    target.script_name = "/";
    target.path_info = std::string(path);
    target.path_translated = target.path_info;
    return target;
  }

  // --redirport: the same path and query on the canonical port, https with --ssl.
  asio::awaitable<void> redirect_to_canonical(const UpgradeRequest& request) {
    const auto [host, port] =
        split_host_header(find_header(request, http::field::host).value_or(""));
    const std::string name = host.empty() ? "localhost" : host;
    const bool tls = state_.config.tls;
    const unsigned default_port = tls ? 443 : 80;
    std::string location = std::string(tls ? "https://" : "http://") +
                           (name.find(':') != std::string::npos ? "[" + name + "]" : name);
    if (state_.config.port != default_port) location += ":" + std::to_string(state_.config.port);
    location += request.target();
    co_await respond(http::status::moved_permanently, request.version(), request.keep_alive(),
                     url_of(request), {}, location);
  }

  // A plain HTTP answer, with --header and --header-http, logged at access
  // level like every plain request.
  asio::awaitable<void> respond(http::status status, unsigned version, bool keep_alive,
                                const std::string& url, const std::string& extra_context = {},
                                const std::string& location = {}) {
    http::response<http::string_body> response{status, version};
    response.set(http::field::server, state_.server_software);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    if (!location.empty()) response.set(http::field::location, location);
    for (const auto& header : state_.config.headers) response.insert(header.name, header.value);
    for (const auto& header : state_.config.headers_http) {
      response.insert(header.name, header.value);
    }
    response.body() = std::to_string(static_cast<unsigned>(status)) + " " +
                      std::string(http::obsolete_reason(status)) + "\n";
    response.keep_alive(keep_alive);
    response.prepare_payload();

    std::string context = log::make_context({{"url", url}, {"remote", peer_.remote_address}});
    if (!extra_context.empty()) context += " " + extra_context;
    log::write(LogLevel::access, "http", context, access_label(status));

    error_code ec;  // a client that left before its answer needs nothing more
    beast::get_lowest_layer(stream_).expires_after(kResponseTimeout);
    co_await http::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
  }

  // Drops a client that connects but never completes the TLS handshake
  // (after the same time a plain client has for its request head).
  asio::awaitable<bool> handshake() {
    beast::get_lowest_layer(stream_).expires_after(kRequestHeadTimeout);
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
  asio::awaitable<void> finish() {
    error_code ec;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
      co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
    beast::get_lowest_layer(stream_).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

  Stream stream_;
  PeerInfo peer_;
  ListenerRole role_;
  ServerState& state_;
  Worker& worker_;
  WorkerRegistration registration_;
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
  peer.remote_address = remote.address().to_string();
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

}  // namespace wsexec
