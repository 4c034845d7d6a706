#include "http_session.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <chrono>
#include <optional>

#include "log.hpp"
#include "origin_policy.hpp"
#include "ws_session.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// A client has this long to send a complete request head; slow-header
// clients are dropped instead of holding a connection forever.
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

class HttpConnection : public Stoppable {
 public:
  HttpConnection(asio::ip::tcp::socket socket, ServerState& state, Worker& worker)
      : stream_(std::move(socket)), state_(state), worker_(worker), registration_(worker, this) {}

  void stop() override {
    error_code ignored;  // closing cancels the pending read, which ends serve()
    stream_.socket().close(ignored);
  }

  asio::awaitable<void> serve() {
    error_code ec;
    auto& socket = stream_.socket();
    socket.set_option(asio::ip::tcp::no_delay(true), ec);  // latency of small messages
    const auto remote = socket.remote_endpoint(ec);
    if (ec) co_return;  // gone before we looked
    const auto local = socket.local_endpoint(ec);
    if (ec) co_return;
    peer_.remote_address = remote.address().to_string();
    peer_.remote_port = remote.port();
    peer_.local_port = local.port();

    beast::flat_buffer buffer;
    while (!state_.stopping.load(std::memory_order_relaxed)) {
      http::request_parser<http::empty_body> parser;
      parser.header_limit(kMaxRequestHeadBytes);
      stream_.expires_after(kRequestHeadTimeout);
      co_await http::async_read(stream_, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec == http::error::header_limit) {
        co_await respond(http::status::request_header_fields_too_large, 11, false, "");
        break;
      }
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
        break;
      }
      if (ec) {
        co_await respond(http::status::bad_request, 11, false, "");
        break;
      }
      UpgradeRequest request = parser.release();
      if (beast::websocket::is_upgrade(request)) {
        co_await upgrade(std::move(request));
        co_return;
      }
      const bool keep_alive = request.keep_alive();
      co_await respond(http::status::not_found, request.version(), keep_alive, url_of(request));
      if (!keep_alive) break;
    }
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  }

 private:
  std::string url_of(const UpgradeRequest& request) const {
    const auto host = request.find(http::field::host);
    const std::string authority = host != request.end()
                                      ? std::string(host->value())
                                      : peer_.remote_address;  // HTTP/1.0 without Host
    return "http://" + authority + std::string(request.target());
  }

  asio::awaitable<void> upgrade(UpgradeRequest request) {
    const auto origin = request.find(http::field::origin);
    const auto host = request.find(http::field::host);
    const std::optional<std::string_view> origin_value =
        origin == request.end() ? std::nullopt : std::optional<std::string_view>(origin->value());
    const std::string_view host_value = host == request.end() ? std::string_view() : host->value();
    if (!origin_allowed(state_.config.origin_policy, origin_value, host_value)) {
      co_await respond(http::status::forbidden, request.version(), false, url_of(request),
                       "origin:'" + std::string(origin_value.value_or("")) + "'");
      co_return;
    }
    auto slot = ForkSlot::try_acquire(state_);
    if (!slot) {
      co_await respond(http::status::too_many_requests, request.version(), false, url_of(request));
      co_return;
    }
    start_ws_session(std::move(stream_), std::move(request), peer_, std::move(*slot), state_,
                     worker_);
  }

  // A plain HTTP answer, with --header and --header-http, logged at access
  // level like every plain request.
  asio::awaitable<void> respond(http::status status, unsigned version, bool keep_alive,
                                const std::string& url, const std::string& extra_context = {}) {
    http::response<http::string_body> response{status, version};
    response.set(http::field::server, state_.server_software);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
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
    stream_.expires_after(kResponseTimeout);
    co_await http::async_write(stream_, response, asio::redirect_error(asio::use_awaitable, ec));
  }

  beast::tcp_stream stream_;
  ServerState& state_;
  Worker& worker_;
  WorkerRegistration registration_;
  PeerInfo peer_;
};

}  // namespace

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket, ServerState& state,
                                       Worker& worker) {
  HttpConnection connection(std::move(socket), state, worker);
  co_await connection.serve();
}

}  // namespace wsexec
