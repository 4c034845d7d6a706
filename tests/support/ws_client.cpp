#include "ws_client.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <optional>
#include <stdexcept>

namespace wsexec_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

// Big enough for the largest message any test expects (a 3 MiB line),
// small enough that a runaway server cannot exhaust the test's memory.
constexpr std::size_t kMaxMessageBytes = 64 * 1024 * 1024;

bool same_name(const std::string& a, const std::string& b) {
  return beast::iequals(a, b);
}

WsEvent make_error(const std::string& what) {
  WsEvent event;
  event.kind = EventKind::error;
  event.reason = what;
  return event;
}

}  // namespace

std::string describe(const WsEvent& event) {
  auto preview = [](const std::string& data) {
    constexpr std::size_t kShown = 80;
    std::string shown = data.substr(0, kShown);
    if (data.size() > kShown) shown += "...";
    return shown;
  };
  switch (event.kind) {
    case EventKind::text:
      return "text(" + std::to_string(event.data.size()) + " bytes: '" + preview(event.data) + "')";
    case EventKind::binary:
      return "binary(" + std::to_string(event.data.size()) + " bytes)";
    case EventKind::closed:
      return "closed(code " + std::to_string(event.close_code) + ", reason '" + event.reason + "')";
    case EventKind::timeout:
      return "timeout";
    case EventKind::error:
      return "error(" + event.reason + ")";
  }
  return "?";
}

std::vector<std::string> Transcript::texts() const {
  std::vector<std::string> result;
  for (const WsEvent& message : messages) result.push_back(message.data);
  return result;
}

std::string HandshakeResult::header(const std::string& name) const {
  for (const auto& [field, value] : response_headers) {
    if (same_name(field, name)) return value;
  }
  return "";
}

bool HandshakeResult::has_header(const std::string& name) const {
  for (const auto& header : response_headers) {
    if (same_name(header.first, name)) return true;
  }
  return false;
}

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};

  // Reading: off until the first read(), then always one read pending.
  bool reading_enabled = false;
  bool read_pending = false;
  beast::flat_buffer read_buffer;
  std::deque<WsEvent> inbox;         // messages not yet handed to the test
  std::optional<WsEvent> end_event;  // how the connection ended, once it did

  // Writing: one write in flight at a time (Beast's rule), the rest queued.
  struct Outgoing {
    std::string data;
    bool binary = false;
  };
  std::deque<Outgoing> outbox;
  bool write_pending = false;
  bool write_failed = false;
  std::size_t queued_bytes = 0;

  // Closing: kept here, not on the stack of close(), because the handler
  // may run during a later call if close() gave up waiting.
  bool close_started = false;
  bool close_done = false;
  error_code close_error;

  int pings = 0;
  std::uint16_t local_port = 0;

  // Runs the event loop until pred() holds or the deadline passes. Returns
  // pred(). Stops early when no operation is left that could change it.
  template <class Pred>
  bool run_until(Pred pred, Clock::time_point deadline) {
    while (!pred()) {
      if (Clock::now() >= deadline) return false;
      if (ioc.stopped()) ioc.restart();
      std::size_t handled = ioc.run_one_until(deadline);
      if (handled == 0 && ioc.stopped()) return pred();  // out of work
    }
    return true;
  }

  void start_read() {
    if (!reading_enabled || read_pending || end_event) return;
    read_pending = true;
    ws.async_read(read_buffer, [this](error_code ec, std::size_t) { on_read(ec); });
  }

  void on_read(error_code ec) {
    read_pending = false;
    if (ec) {
      WsEvent event;
      // reason() is set as soon as the server's close frame arrives; the
      // read may still fail afterwards, while Beast answers it and tears the
      // TCP connection down (for instance if the server resets the
      // connection right after its close frame). The server did close.
      const bool got_close_frame = ws.reason().code != websocket::close_code::none;
      if (ec == websocket::error::closed || got_close_frame) {
        event.kind = EventKind::closed;
        event.close_code = static_cast<int>(ws.reason().code);
        event.reason = std::string(ws.reason().reason.c_str());
        if (ec != websocket::error::closed) event.reason += " [then: " + ec.message() + "]";
      } else {
        event = make_error(ec.message());
      }
      end_event = event;
      return;
    }
    WsEvent event;
    event.kind = ws.got_text() ? EventKind::text : EventKind::binary;
    event.data = beast::buffers_to_string(read_buffer.data());
    read_buffer.consume(read_buffer.size());
    inbox.push_back(std::move(event));
    start_read();
  }

  void queue(std::string data, bool binary) {
    queued_bytes += data.size();
    outbox.push_back({std::move(data), binary});
    start_write();
  }

  void start_write() {
    if (write_pending || write_failed || outbox.empty()) return;
    write_pending = true;
    ws.binary(outbox.front().binary);
    ws.async_write(net::buffer(outbox.front().data),
                   [this](error_code ec, std::size_t) { on_write(ec); });
  }

  void on_write(error_code ec) {
    write_pending = false;
    if (ec) {
      // Nothing queued can be delivered any more; the reason shows up as
      // the connection's end event on the read side.
      write_failed = true;
      outbox.clear();
      queued_bytes = 0;
      return;
    }
    queued_bytes -= outbox.front().data.size();
    outbox.pop_front();
    start_write();
  }
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() = default;

HandshakeResult WsClient::handshake(const ConnectOptions& options) {
  HandshakeResult result;
  // The completion handlers below write to these; they are declared before
  // impl so that they outlive any handler still pending when impl (and its
  // io_context) is destroyed after a timeout.
  error_code ec;
  bool connected = false;
  bool handshake_done = false;
  websocket::response_type response;
  auto impl = std::make_unique<Impl>();
  const auto deadline = Clock::now() + options.timeout;

  const auto address = net::ip::make_address(options.address, ec);
  if (ec) {
    result.error = "bad address '" + options.address + "': " + ec.message();
    return result;
  }
  tcp::socket& socket = impl->ws.next_layer();
  socket.async_connect(tcp::endpoint(address, options.port), [&](error_code e) {
    ec = e;
    connected = true;
  });
  if (!impl->run_until([&] { return connected; }, deadline)) {
    result.error = "TCP connect timed out";
    return result;
  }
  if (ec) {
    result.error = "TCP connect failed: " + ec.message();
    return result;
  }
  impl->local_port = socket.local_endpoint().port();
  socket.set_option(tcp::no_delay(true));

  std::string host = options.host_header;
  if (host.empty()) {
    host = address.is_v6() ? "[" + options.address + "]" : options.address;
    host += ":" + std::to_string(options.port);
  }
  impl->ws.set_option(websocket::stream_base::decorator(
      [headers = options.headers](websocket::request_type& request) {
        for (const auto& [name, value] : headers) request.set(name, value);
      }));
  impl->ws.read_message_max(kMaxMessageBytes);
  Impl* raw = impl.get();
  impl->ws.control_callback([raw](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++raw->pings;
  });

  impl->ws.async_handshake(response, host, options.target, [&](error_code e) {
    ec = e;
    handshake_done = true;
  });
  if (!impl->run_until([&] { return handshake_done; }, deadline)) {
    result.error = "WebSocket handshake timed out";
    return result;
  }
  result.http_status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    result.response_headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
  }
  if (ec) {
    result.error = "WebSocket handshake failed: " + ec.message();
    return result;
  }
  result.client.reset(new WsClient(std::move(impl)));
  return result;
}

std::unique_ptr<WsClient> WsClient::connect(const ConnectOptions& options) {
  HandshakeResult result = handshake(options);
  if (!result.client) {
    throw std::runtime_error("cannot connect to " + options.address + ":" +
                             std::to_string(options.port) + options.target + ": " + result.error +
                             " (HTTP status " + std::to_string(result.http_status) + ")");
  }
  return std::move(result.client);
}

bool WsClient::send_text(const std::string& text, Millis timeout) {
  queue_text(text);
  return flush(timeout);
}

bool WsClient::send_binary(const std::string& data, Millis timeout) {
  queue_binary(data);
  return flush(timeout);
}

void WsClient::queue_text(std::string text) {
  impl_->queue(std::move(text), false);
}
void WsClient::queue_binary(std::string data) {
  impl_->queue(std::move(data), true);
}
std::size_t WsClient::queued_bytes() const {
  return impl_->queued_bytes;
}

bool WsClient::flush(Millis timeout) {
  Impl& impl = *impl_;
  impl.run_until([&] { return impl.write_failed || (impl.outbox.empty() && !impl.write_pending); },
                 Clock::now() + timeout);
  return !impl.write_failed && impl.outbox.empty() && !impl.write_pending;
}

WsEvent WsClient::read(Millis timeout) {
  Impl& impl = *impl_;
  impl.reading_enabled = true;
  if (impl.inbox.empty()) {
    impl.start_read();
    impl.run_until([&] { return !impl.inbox.empty() || impl.end_event.has_value(); },
                   Clock::now() + timeout);
  }
  if (!impl.inbox.empty()) {
    WsEvent event = std::move(impl.inbox.front());
    impl.inbox.pop_front();
    return event;
  }
  if (impl.end_event) return *impl.end_event;
  return WsEvent{};  // timeout
}

Transcript WsClient::read_until_end(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  Transcript transcript;
  while (true) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    WsEvent event = read(std::max(left, Millis(0)));
    if (!event.is_message()) {
      transcript.end = std::move(event);
      return transcript;
    }
    transcript.messages.push_back(std::move(event));
  }
}

Transcript WsClient::read_for(Millis duration) {
  return read_until_end(duration);
}

bool WsClient::close(int code, Millis timeout) {
  Impl& impl = *impl_;
  if (impl.end_event) return impl.end_event->kind == EventKind::closed;
  if (!impl.close_started) {
    impl.close_started = true;
    impl.ws.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                        [&impl](error_code ec) {
                          impl.close_error = ec;
                          impl.close_done = true;
                        });
  }
  impl.run_until([&] { return impl.close_done; }, Clock::now() + timeout);
  return impl.close_done && !impl.close_error;
}

void WsClient::abort() {
  error_code ignored;  // the socket may already be dead; that is the point
  impl_->ws.next_layer().close(ignored);
  if (!impl_->end_event) impl_->end_event = make_error("aborted by the client");
}

int WsClient::pings_received() const {
  return impl_->pings;
}
std::uint16_t WsClient::local_port() const {
  return impl_->local_port;
}

}  // namespace wsexec_test
