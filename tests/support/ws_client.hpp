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
#include <string>
#include <utility>
#include <vector>

namespace wsexec_test {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

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
  // Drops the TCP connection without a close frame, as a vanished client.
  void abort();

  // Pings received from the server so far (Beast answers them itself).
  int pings_received() const;
  // The client side's TCP port, as the server sees it in REMOTE_PORT.
  std::uint16_t local_port() const;

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsexec_test
