#include "ws_client.hpp"

#include "raw_ws.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <optional>
#include <stdexcept>
#include <variant>

namespace wsexec_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace ssl = net::ssl;
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

static_assert(static_cast<int>(TlsVersion::tls1_0) == TLS1_VERSION);
static_assert(static_cast<int>(TlsVersion::tls1_1) == TLS1_1_VERSION);
static_assert(static_cast<int>(TlsVersion::tls1_2) == TLS1_2_VERSION);
static_assert(static_cast<int>(TlsVersion::tls1_3) == TLS1_3_VERSION);

using TlsStream = beast::ssl_stream<tcp::socket>;
using PlainWs = websocket::stream<tcp::socket>;
using TlsWs = websocket::stream<TlsStream>;

// Runs the event loop until pred() holds or the deadline passes. Returns
// pred(). Stops early when no operation is left that could change it.
template <class Pred>
bool run_until(net::io_context& ioc, Pred pred, Clock::time_point deadline) {
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    if (ioc.stopped()) ioc.restart();
    std::size_t handled = ioc.run_one_until(deadline);
    if (handled == 0 && ioc.stopped()) return pred();  // out of work
  }
  return true;
}

// The first queued OpenSSL error, as text.
std::string openssl_error() {
  const unsigned long code = ERR_peek_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

std::string name_text(const X509_NAME* name) {
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return {};
  X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long length = BIO_get_mem_data(out, &data);
  std::string text(data, static_cast<std::size_t>(length));
  BIO_free(out);
  return text;
}

std::string serial_text(const X509* certificate) {
  BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
  if (number == nullptr) return {};
  char* hex = BN_bn2hex(number);
  std::string text = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(number);
  return text;
}

TlsSessionInfo session_info(SSL* connection) {
  TlsSessionInfo info;
  info.established = true;
  info.version = SSL_get_version(connection);
  const unsigned char* protocol = nullptr;
  unsigned int protocol_length = 0;
  SSL_get0_alpn_selected(connection, &protocol, &protocol_length);
  if (protocol != nullptr) {
    info.alpn.assign(reinterpret_cast<const char*>(protocol), protocol_length);
  }
  if (const X509* certificate = SSL_get0_peer_certificate(connection)) {
    info.server_subject = name_text(X509_get_subject_name(certificate));
    info.server_issuer = name_text(X509_get_issuer_name(certificate));
    info.server_serial = serial_text(certificate);
  }
  return info;
}

// A client context for these options, or nullptr with *error set.
std::unique_ptr<ssl::context> make_client_context(const TlsOptions& tls, std::string& error) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = context->native_handle();
  ERR_clear_error();
  if (tls.ca_file.empty()) {
    SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
  } else {
    if (SSL_CTX_load_verify_locations(native, tls.ca_file.c_str(), nullptr) != 1) {
      error = "cannot load CA file " + tls.ca_file + ": " + openssl_error();
      return nullptr;
    }
    SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
  }
  if (!tls.client_certificate.empty() &&
      SSL_CTX_use_certificate_chain_file(native, tls.client_certificate.c_str()) != 1) {
    error = "cannot load client certificate " + tls.client_certificate + ": " + openssl_error();
    return nullptr;
  }
  if (!tls.client_key.empty() &&
      SSL_CTX_use_PrivateKey_file(native, tls.client_key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot load client key " + tls.client_key + ": " + openssl_error();
    return nullptr;
  }
  if (tls.max_version != TlsVersion::any &&
      static_cast<int>(tls.max_version) < static_cast<int>(TlsVersion::tls1_2)) {
    // OpenSSL 3 allows TLS 1.0/1.1 (SHA-1 signatures) only at level 0; the
    // point of such a client is to find out what the server accepts.
    SSL_CTX_set_security_level(native, 0);
    SSL_CTX_set_cipher_list(native, "DEFAULT:@SECLEVEL=0");
  }
  if (tls.min_version != TlsVersion::any &&
      SSL_CTX_set_min_proto_version(native, static_cast<int>(tls.min_version)) != 1) {
    error = "cannot set the minimum TLS version: " + openssl_error();
    return nullptr;
  }
  if (tls.max_version != TlsVersion::any &&
      SSL_CTX_set_max_proto_version(native, static_cast<int>(tls.max_version)) != 1) {
    error = "cannot set the maximum TLS version: " + openssl_error();
    return nullptr;
  }
  if (!tls.alpn.empty()) {
    std::string wire;  // length-prefixed protocol names
    for (const std::string& protocol : tls.alpn) {
      wire += static_cast<char>(protocol.size());
      wire += protocol;
    }
    // Unlike most of OpenSSL, 0 means success here.
    if (SSL_CTX_set_alpn_protos(native, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size())) != 0) {
      error = "cannot set ALPN protocols";
      return nullptr;
    }
  }
  return context;
}

// SNI and the name the server certificate must carry, for one connection.
std::string prepare_tls_connection(SSL* connection, const TlsOptions& tls) {
  if (tls.server_name.empty()) return {};
  X509_VERIFY_PARAM* param = SSL_get0_param(connection);
  error_code ec;
  net::ip::make_address(tls.server_name, ec);
  if (!ec) {
    // An IP address: no SNI (RFC 6066), checked against the IP SANs.
    if (X509_VERIFY_PARAM_set1_ip_asc(param, tls.server_name.c_str()) != 1) {
      return "cannot check for IP " + tls.server_name + ": " + openssl_error();
    }
    return {};
  }
  if (SSL_set_tlsext_host_name(connection, tls.server_name.c_str()) != 1) {
    return "cannot set SNI " + tls.server_name + ": " + openssl_error();
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_host(param, tls.server_name.c_str(), 0) != 1) {
    return "cannot check for host " + tls.server_name + ": " + openssl_error();
  }
  return {};
}

// Asio's text for a TLS error, plus the certificate check's reason when
// that is what failed ("certificate has expired").
std::string tls_error_text(error_code ec, SSL* connection) {
  std::string text = ec.message();
  const long verify = SSL_get_verify_result(connection);
  if (verify != X509_V_OK) {
    text += " (certificate check: ";
    text += X509_verify_cert_error_string(verify);
    text += ")";
  }
  return text;
}

// Connects `socket` and, if `tls_stream` is given (the TLS layer over that
// socket), runs the TLS handshake; "" on success, else why not. On failure
// the event loop must not be run again: handlers refer to this frame.
std::string open_transport(net::io_context& ioc, tcp::socket& socket, TlsStream* tls_stream,
                           const tcp::endpoint& endpoint, const ConnectOptions& options,
                           Clock::time_point deadline, TlsSessionInfo& info) {
  error_code ec;
  bool done = false;
  socket.async_connect(endpoint, [&](error_code e) {
    ec = e;
    done = true;
  });
  auto finished = [&] { return done; };
  if (!run_until(ioc, finished, deadline)) return "TCP connect timed out";
  if (ec) return "TCP connect failed: " + ec.message();
  socket.set_option(tcp::no_delay(true), ec);
  if (tls_stream == nullptr) return {};

  std::string problem = prepare_tls_connection(tls_stream->native_handle(), *options.tls);
  if (!problem.empty()) return problem;
  done = false;
  tls_stream->async_handshake(ssl::stream_base::client, [&](error_code e) {
    ec = e;
    done = true;
  });
  if (!run_until(ioc, finished, deadline)) return "TLS handshake timed out";
  if (ec) return "TLS handshake failed: " + tls_error_text(ec, tls_stream->native_handle());
  info = session_info(tls_stream->native_handle());
  return {};
}

std::string default_host(const net::ip::address& address, const ConnectOptions& options) {
  if (!options.host_header.empty()) return options.host_header;
  std::string host = address.is_v6() ? "[" + options.address + "]" : options.address;
  return host + ":" + std::to_string(options.port);
}

bool header_present(const std::vector<std::pair<std::string, std::string>>& headers,
                    const std::string& name, std::string* value) {
  for (const auto& [field, field_value] : headers) {
    if (same_name(field, name)) {
      if (value) *value = field_value;
      return true;
    }
  }
  return false;
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
  std::string value;
  header_present(response_headers, name, &value);
  return value;
}

bool HandshakeResult::has_header(const std::string& name) const {
  return header_present(response_headers, name, nullptr);
}

std::string HttpResult::header(const std::string& name) const {
  std::string value;
  header_present(headers, name, &value);
  return value;
}

bool HttpResult::has_header(const std::string& name) const {
  return header_present(headers, name, nullptr);
}

struct WsClient::Impl {
  // A plain client.
  Impl() : ws(std::in_place_type<PlainWs>, ioc) {}
  // A TLS client with this context.
  explicit Impl(std::unique_ptr<ssl::context> context)
      : ssl_context(std::move(context)), ws(std::in_place_type<TlsWs>, ioc, *ssl_context) {}

  net::io_context ioc;
  std::unique_ptr<ssl::context> ssl_context;  // before ws, which refers to it
  std::variant<PlainWs, TlsWs> ws;
  TlsSessionInfo tls;

  // Calls f with the WebSocket stream, whichever it is.
  template <class F>
  decltype(auto) with_ws(F&& f) {
    return std::visit(std::forward<F>(f), ws);
  }
  tcp::socket& socket() {
    return with_ws([](auto& stream) -> tcp::socket& { return beast::get_lowest_layer(stream); });
  }
  TlsStream* tls_stream() {
    TlsWs* secure = std::get_if<TlsWs>(&ws);
    return secure ? &secure->next_layer() : nullptr;
  }

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

  template <class Pred>
  bool run_until(Pred pred, Clock::time_point deadline) {
    return wsexec_test::run_until(ioc, pred, deadline);
  }

  void start_read() {
    if (!reading_enabled || read_pending || end_event) return;
    read_pending = true;
    with_ws([this](auto& stream) {
      stream.async_read(read_buffer, [this](error_code ec, std::size_t) { on_read(ec); });
    });
  }

  void on_read(error_code ec) {
    read_pending = false;
    if (ec) {
      WsEvent event;
      // reason() is set as soon as the server's close frame arrives; the
      // read may still fail afterwards, while Beast answers it and tears the
      // TCP connection down (for instance if the server resets the
      // connection right after its close frame). The server did close.
      const websocket::close_reason reason = with_ws([](auto& stream) { return stream.reason(); });
      const bool got_close_frame = reason.code != websocket::close_code::none;
      if (ec == websocket::error::closed || got_close_frame) {
        event.kind = EventKind::closed;
        event.close_code = static_cast<int>(reason.code);
        event.reason = std::string(reason.reason.c_str());
        if (ec != websocket::error::closed) event.reason += " [then: " + ec.message() + "]";
      } else {
        event = make_error(ec.message());
      }
      end_event = event;
      return;
    }
    WsEvent event;
    const bool text = with_ws([](auto& stream) { return stream.got_text(); });
    event.kind = text ? EventKind::text : EventKind::binary;
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
    with_ws([this](auto& stream) {
      stream.binary(outbox.front().binary);
      stream.async_write(net::buffer(outbox.front().data),
                         [this](error_code ec, std::size_t) { on_write(ec); });
    });
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
  bool handshake_done = false;
  websocket::response_type response;
  response.result(0u);  // stays 0 unless a response arrives (the default is 200)
  const auto deadline = Clock::now() + options.timeout;

  const auto address = net::ip::make_address(options.address, ec);
  if (ec) {
    result.error = "bad address '" + options.address + "': " + ec.message();
    return result;
  }
  std::unique_ptr<Impl> impl;
  if (options.tls) {
    auto context = make_client_context(*options.tls, result.error);
    if (!context) return result;
    impl = std::make_unique<Impl>(std::move(context));
  } else {
    impl = std::make_unique<Impl>();
  }
  result.error = open_transport(impl->ioc, impl->socket(), impl->tls_stream(),
                                tcp::endpoint(address, options.port), options, deadline, impl->tls);
  result.tls = impl->tls;
  if (!result.error.empty()) return result;
  impl->local_port = impl->socket().local_endpoint().port();

  const std::string host = default_host(address, options);
  Impl* raw = impl.get();
  impl->with_ws([&](auto& stream) {
    stream.set_option(websocket::stream_base::decorator(
        [headers = options.headers](websocket::request_type& request) {
          for (const auto& [name, value] : headers) request.set(name, value);
        }));
    stream.read_message_max(kMaxMessageBytes);
    stream.control_callback([raw](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) ++raw->pings;
    });
    stream.async_handshake(response, host, options.target, [&](error_code e) {
      ec = e;
      handshake_done = true;
    });
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
    impl.with_ws([&impl, code](auto& stream) {
      stream.async_close(websocket::close_reason(static_cast<std::uint16_t>(code)),
                         [&impl](error_code ec) {
                           impl.close_error = ec;
                           impl.close_done = true;
                         });
    });
  }
  impl.run_until([&] { return impl.close_done; }, Clock::now() + timeout);
  return impl.close_done && !impl.close_error;
}

bool WsClient::send_close_frame_only(int code, Millis timeout) {
  Impl& impl = *impl_;
  // Written under Beast (which would read for the reply): the frame's
  // bytes as raw_ws encodes them, masked as a client's must be.
  const std::string frame = encode_frame(
      {.opcode = opcode::close, .payload = close_payload(static_cast<std::uint16_t>(code))});
  bool done = false;
  error_code result;
  impl.with_ws([&](auto& stream) {
    net::async_write(stream.next_layer(), net::buffer(frame), [&](error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
  });
  impl.run_until([&] { return done; }, Clock::now() + timeout);
  return done && !result;
}

void WsClient::abort() {
  error_code ignored;  // the socket may already be dead; that is the point
  impl_->socket().close(ignored);
  if (!impl_->end_event) impl_->end_event = make_error("aborted by the client");
}

int WsClient::pings_received() const {
  return impl_->pings;
}
std::uint16_t WsClient::local_port() const {
  return impl_->local_port;
}
const TlsSessionInfo& WsClient::tls() const {
  return impl_->tls;
}

HttpResult http_request(const ConnectOptions& options, const std::string& method) {
  HttpResult result;
  // Declared before the io_context: see WsClient::handshake.
  error_code ec;
  bool done = false;
  http::request<http::empty_body> request;
  http::response_parser<http::string_body> parser;
  beast::flat_buffer buffer;
  const auto deadline = Clock::now() + options.timeout;

  const auto address = net::ip::make_address(options.address, ec);
  if (ec) {
    result.error = "bad address '" + options.address + "': " + ec.message();
    return result;
  }
  std::unique_ptr<ssl::context> context;
  if (options.tls) {
    context = make_client_context(*options.tls, result.error);
    if (!context) return result;
  }
  net::io_context ioc;
  std::optional<tcp::socket> plain;
  std::optional<TlsStream> secure;
  if (context) {
    secure.emplace(ioc, *context);
  } else {
    plain.emplace(ioc);
  }
  tcp::socket& socket = secure ? beast::get_lowest_layer(*secure) : *plain;
  result.error =
      open_transport(ioc, socket, secure ? &*secure : nullptr, tcp::endpoint(address, options.port),
                     options, deadline, result.tls);
  if (!result.error.empty()) return result;

  request.method_string(method);
  request.target(options.target);
  request.version(11);
  request.set(http::field::host, default_host(address, options));
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : options.headers) request.set(name, value);
  parser.body_limit(kMaxMessageBytes);
  // The parser knows that 1xx, 204 and 304 have no body; HEAD it must be told.
  if (method == "HEAD") parser.skip(true);

  auto exchange = [&](auto& stream) {
    http::async_write(stream, request, [&](error_code e, std::size_t) {
      if (e) {
        ec = e;
        done = true;
        return;
      }
      http::async_read(stream, buffer, parser, [&](error_code e2, std::size_t) {
        ec = e2;
        done = true;
      });
    });
  };
  if (secure) {
    exchange(*secure);
  } else {
    exchange(*plain);
  }
  auto finished = [&] { return done; };
  if (!run_until(ioc, finished, deadline)) {
    result.error = "HTTP exchange timed out";
  } else if (ec) {
    result.error = "HTTP exchange failed: " + ec.message();
  }
  if (parser.is_header_done()) {
    const auto& response = parser.get();
    result.status = static_cast<int>(response.result_int());
    for (const auto& field : response) {
      result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (parser.is_done()) result.body = response.body();
  }
  return result;
}

}  // namespace wsexec_test
