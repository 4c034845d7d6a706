// A small synchronous WebSocket client for the integration tests, built on
// Boost.Beast. Every call that waits takes a deadline, so a misbehaving
// server makes a test fail instead of hang.
//
// The header deliberately exposes no Boost type: Beast is slow to compile,
// and only ws_client.cpp pays for it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace wsexec_test {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

// Protocol versions, with OpenSSL's numbers (TLS1_1_VERSION...), so that the
// header needs no OpenSSL include.
enum class TlsVersion : int {
  any = 0,  // OpenSSL's default bound
  tls1_0 = 0x0301,
  tls1_1 = 0x0302,
  tls1_2 = 0x0303,
  tls1_3 = 0x0304,
};

// A TLS client (wss://, https://). The server certificate is verified
// against ca_file, with the host name (or IP address) in server_name.
struct TlsOptions {
  // Trust anchors (PEM). Empty: the server certificate is not verified at
  // all (for tests of what a server sends whatever it is).
  std::string ca_file;
  // A client certificate chain and its key (PEM), for mutual TLS.
  std::string client_certificate;
  std::string client_key;
  // Sent as SNI (unless it is an IP address) and checked against the
  // certificate's names.
  std::string server_name = "localhost";
  // Protocol bounds. A maximum below TLS 1.2 also lowers the client's
  // security level so that OpenSSL 3 offers it at all.
  TlsVersion min_version = TlsVersion::any;
  TlsVersion max_version = TlsVersion::any;
  // ALPN protocols to offer ("http/1.1"); none by default.
  std::vector<std::string> alpn;
};

// What the client saw of the TLS session once the handshake completed.
struct TlsSessionInfo {
  bool established = false;
  std::string version;         // "TLSv1.3"
  std::string alpn;            // the protocol the server selected, "" if none
  std::string server_subject;  // RFC 2253: "CN=localhost,O=..."
  std::string server_issuer;   // RFC 2253
  std::string server_serial;   // upper-case hex, as `openssl x509 -serial`
};

struct ConnectOptions {
  // The address to connect to: "127.0.0.1" or "::1" (no brackets).
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  // Request target: path and query, as sent.
  std::string target = "/";
  // Value of the Host header; empty means "address:port" (IPv6 in brackets).
  std::string host_header;
  // Extra request headers, such as Origin.
  std::vector<std::pair<std::string, std::string>> headers;
  // Bound on TCP connect plus the whole upgrade handshake (generous: a
  // loaded machine can be slow, and only a failing test ever waits it out).
  Millis timeout = 10000ms;
  // Set: speak TLS (wss://, https://) to the server.
  std::optional<TlsOptions> tls;
};

enum class EventKind {
  text,     // a text message arrived
  binary,   // a binary message arrived
  closed,   // the server sent a close frame: see close_code
  timeout,  // nothing happened before the deadline (the read stays pending)
  error,    // the connection failed without a close frame (EOF, reset, bad frame...)
};

struct WsEvent {
  EventKind kind = EventKind::timeout;
  std::string data;     // message payload (text or binary)
  int close_code = -1;  // for closed: the code the server sent (-1 if none)
  std::string reason;   // for closed: the close reason; for error: the error text
  bool is_message() const { return kind == EventKind::text || kind == EventKind::binary; }
};

// A human-readable one-liner for assertion messages.
std::string describe(const WsEvent& event);

// All messages up to the end of a connection, and how it ended.
struct Transcript {
  std::vector<WsEvent> messages;
  WsEvent end;  // closed, error or timeout
  std::vector<std::string> texts() const;
};

class WsClient;

struct HandshakeResult {
  // The HTTP status of the server's answer (101 on success), or 0 if no
  // HTTP response was received at all (see error).
  int http_status = 0;
  std::string error;
  // The headers of the server's answer, in order.
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::unique_ptr<WsClient> client;  // set only when the upgrade succeeded
  // With ConnectOptions::tls: the session, if the TLS handshake completed.
  // (Under TLS 1.3 the client finishes its handshake before the server has
  // checked a client certificate; a refusal then shows up as an error on
  // the first read, with no HTTP status.)
  TlsSessionInfo tls;
  // The value of a response header (case-insensitive name), "" if absent.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

class WsClient {
 public:
  // Connects and performs the upgrade; never throws. A refused upgrade is
  // reported through http_status (403, 404, 429...).
  static HandshakeResult handshake(const ConnectOptions& options);
  // Connects and upgrades, or throws std::runtime_error saying why.
  static std::unique_ptr<WsClient> connect(const ConnectOptions& options);

  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Sends one message and waits until it is written to the socket. Returns
  // false if that did not happen before the deadline or the write failed.
  // Reading is not driven unless a read is already pending.
  bool send_text(const std::string& text, Millis timeout = 5000ms);
  bool send_binary(const std::string& data, Millis timeout = 5000ms);

  // Queues a message without waiting; queued messages are written, in order,
  // while any other call runs the client (read, flush, send_*).
  void queue_text(std::string text);
  void queue_binary(std::string data);
  // Bytes queued but not yet fully written.
  std::size_t queued_bytes() const;
  // Waits until every queued message is written. False on deadline/error.
  bool flush(Millis timeout = 5000ms);

  // Returns the next message, or how the connection ended, or timeout.
  // After the first call, the client keeps reading in the background of
  // every later call (messages are buffered), and answers pings. A client
  // that never calls read() never reads from its socket at all, which is
  // how tests exercise back-pressure and unanswered pings.
  WsEvent read(Millis timeout = 5000ms);
  // Reads messages until the connection ends or the deadline passes.
  Transcript read_until_end(Millis timeout = 5000ms);
  // Keeps reading (and so answering pings) for the whole duration; returns
  // the messages that arrived, or stops early if the connection ended.
  Transcript read_for(Millis duration);

  // Sends a close frame with this code and waits for the server's answer.
  // True if the closing handshake completed before the deadline.
  bool close(int code = 1000, Millis timeout = 5000ms);
  // Writes a close frame and returns once it is written, reading nothing
  // (not even the reply): a client that closes and then stops reading.
  bool send_close_frame_only(int code = 1000, Millis timeout = 5000ms);
  // Drops the TCP connection without a close frame, as a vanished client.
  void abort();

  // Pings received from the server so far (Beast answers them itself).
  int pings_received() const;
  // The client side's TCP port, as the server sees it in REMOTE_PORT.
  std::uint16_t local_port() const;
  // The TLS session (established is false for a plain ws:// client).
  const TlsSessionInfo& tls() const;

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One plain HTTP(S) request on its own connection (Connection: close).
struct HttpResult {
  // The response status, or 0 if no response arrived (see error).
  int status = 0;
  std::string error;
  std::vector<std::pair<std::string, std::string>> headers;  // in order
  std::string body;
  TlsSessionInfo tls;  // with ConnectOptions::tls
  // The value of a header (case-insensitive name), "" if absent.
  std::string header(const std::string& name) const;
  bool has_header(const std::string& name) const;
};

// Sends `method target` (ConnectOptions::target) with the Host header and
// extra headers of the options, over TLS if options.tls is set, and reads
// the whole response, all before options.timeout. Never throws.
HttpResult http_request(const ConnectOptions& options, const std::string& method = "GET");

}  // namespace wsexec_test
