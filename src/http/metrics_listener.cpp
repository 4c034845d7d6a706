#include "http/metrics_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <unordered_set>

#include "core/limits.hpp"
#include "core/metrics_text.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/startup_error.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

std::string endpoint_text(const std::string& address, unsigned port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace

struct MetricsListener::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& context, ServerState& state_in) : state(state_in), acceptor(context) {
    const std::string where =
        endpoint_text(state.config.metrics_address, state.config.metrics_port);
    error_code ec;
    const auto address = asio::ip::make_address(state.config.metrics_address, ec);
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(state.config.metrics_port));
    if (!ec) acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw StartupError("can't start the --metrics listener on " + where + ": " + ec.message());
    }
    log::info("server", "Serving metrics on http://" + where + "/metrics and /healthz");
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();  // the loop may outlive the listener object
    while (acceptor.is_open()) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // EMFILE and friends: the next attempt comes after a pause, not at once.
        asio::steady_timer pause(acceptor.get_executor(), limits::kAcceptRetryPause);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (open_scrapes.size() >= limits::kMaxMetricsConnections)
        continue;  // closed by its destructor
      asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }

  // One request, one answer, then the connection closes: scrapes come
  // seconds apart, so keeping connections open saves nothing worth their
  // descriptors.
  asio::awaitable<void> serve(tcp::socket socket) {
    auto self = shared_from_this();
    beast::tcp_stream stream(std::move(socket));
    open_scrapes.insert(&stream);
    struct Forget {
      Impl& impl;
      beast::tcp_stream* stream;
      ~Forget() { impl.open_scrapes.erase(stream); }
    } forget{*this, &stream};

    stream.expires_after(limits::kMetricsExchangeTimeout);
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(limits::kMaxMetricsRequestHeadBytes);
    error_code ec;
    co_await http::async_read(stream, buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;  // gone, too slow, too large or not HTTP: nothing to answer
    const auto& request = parser.get();
    auto response = answer(request.method_string(), request.target(), request.version());
    if (request.method() == http::verb::head) response.body().clear();
    co_await http::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  http::response<http::string_body> answer(std::string_view method, std::string_view target,
                                           unsigned version) const {
    http::response<http::string_body> response;
    response.version(version);
    response.keep_alive(false);
    response.set(http::field::server, state.server_software);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.set(http::field::cache_control, "no-store");
    switch (choose_metrics_page(method, target)) {
      case MetricsPage::metrics:
        response.result(http::status::ok);
        // The exposition format's version, as Prometheus expects it named.
        response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        response.body() = render_metrics_text(
            metrics::collect(state.live_children.load(std::memory_order_relaxed)));
        break;
      case MetricsPage::health: {
        const bool accepting = !state.draining.load(std::memory_order_relaxed) &&
                               !state.stopping.load(std::memory_order_relaxed);
        response.result(accepting ? http::status::ok : http::status::service_unavailable);
        response.body() = accepting ? "ok\n" : "draining\n";
        break;
      }
      case MetricsPage::not_found:
        response.result(http::status::not_found);
        response.body() = "not found: this listener serves /metrics and /healthz\n";
        break;
      case MetricsPage::method_not_allowed:
        response.result(http::status::method_not_allowed);
        response.set(http::field::allow, "GET, HEAD");
        response.body() = "method not allowed: use GET\n";
        break;
    }
    response.prepare_payload();
    return response;
  }

  void close() {
    error_code ignored;  // closing cancels the accept and every pending read or write
    acceptor.close(ignored);
    for (auto* stream : open_scrapes) stream->socket().close(ignored);
  }

  ServerState& state;
  tcp::acceptor acceptor;
  std::unordered_set<beast::tcp_stream*> open_scrapes;  // on the loop's thread only
};

MetricsListener::MetricsListener(asio::io_context& context, ServerState& state)
    : impl_(std::make_shared<Impl>(context, state)) {}

MetricsListener::~MetricsListener() {
  impl_->close();
}

void MetricsListener::start() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), asio::detached);
}

void MetricsListener::close() {
  impl_->close();
}

}  // namespace wsexec
