// A WebSocket client that builds every byte itself, for what a conforming
// client (ws_client.hpp) refuses to send: bad handshakes, unmasked frames,
// reserved bits and opcodes, non-minimal lengths, broken fragmentation,
// invalid close codes. It parses the server's frames itself too, so a test
// sees exactly what came back (a close code, a pong's payload). Every wait
// has a deadline; nothing is answered automatically.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsexec_test {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

namespace opcode {
inline constexpr std::uint8_t continuation = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xA;
}  // namespace opcode

// How the payload length is written: the shortest form RFC 6455 requires,
// or a forced 16/64-bit form (non-minimal when the payload is small).
enum class LengthForm { minimal, force16, force64 };

struct OutFrame {
  std::uint8_t opcode = opcode::text;
  std::string payload;
  bool fin = true;
  std::uint8_t rsv = 0;  // the RSV1-3 bits, as the 3 bits 0b(RSV1)(RSV2)(RSV3)
  bool masked = true;
  LengthForm length_form = LengthForm::minimal;
};

// The bytes of one frame as described; the mask key is fixed and non-zero.
std::string encode_frame(const OutFrame& frame);
// A close frame's payload: the 2-byte code, then the reason as given.
std::string close_payload(std::uint16_t code, std::string_view reason = {});

struct InFrame {
  bool fin = false;
  std::uint8_t rsv = 0;
  std::uint8_t opcode = 0;
  bool masked = false;  // a server must never mask
  std::string payload;
  // For a close frame: its code (-1 when the payload has none) and reason.
  int close_code() const;
  std::string close_reason() const;
};
std::string describe(const InFrame& frame);

// What ended a wait for a frame.
enum class ReadEnd { frame, timeout, connection_closed };

struct ReadResult {
  ReadEnd end = ReadEnd::timeout;
  InFrame frame;
};

// How a connection ended, read until the server's close frame and the end
// of TCP (or the deadline).
struct CloseOutcome {
  bool close_frame = false;  // a close frame arrived
  int code = -1;             // its code, -1 if it had none or none arrived
  std::string reason;
  bool connection_closed = false;  // TCP EOF/reset seen by the deadline
  std::vector<InFrame> before;     // the frames that came before it
  std::string describe() const;
};

// A complete upgrade request, every line as given; `extra_lines` are whole
// header lines without CRLF. The defaults are a valid RFC 6455 request.
struct UpgradeRequest {
  std::string target = "/";
  std::string version = "HTTP/1.1";
  std::vector<std::string> lines = {
      "Host: 127.0.0.1",           "Upgrade: websocket",
      "Connection: Upgrade",       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
  };
  std::string serialize() const;
  // Replaces the line of this header (case-insensitive name) or, with an
  // empty value, removes it; appends it when absent.
  UpgradeRequest& set(std::string_view name, std::string_view value);
  UpgradeRequest& remove(std::string_view name);
};

class RawWsConnection {
 public:
  // A TCP connection to 127.0.0.1:port; throws std::runtime_error on failure.
  explicit RawWsConnection(std::uint16_t port, Millis timeout = 3000ms);
  ~RawWsConnection();
  RawWsConnection(const RawWsConnection&) = delete;
  RawWsConnection& operator=(const RawWsConnection&) = delete;

  // A connection upgraded with the default request; throws unless 101.
  static std::unique_ptr<RawWsConnection> upgraded(std::uint16_t port, Millis timeout = 5000ms);

  bool send(std::string_view bytes, Millis timeout = 5000ms);
  bool send_frame(const OutFrame& frame, Millis timeout = 5000ms);
  // Sends the request and reads the response head (through the blank line);
  // returns the head, "" if none arrived by the deadline.
  std::string request_upgrade(const UpgradeRequest& request, Millis timeout = 5000ms);
  std::string read_head(Millis timeout = 5000ms);

  ReadResult read_frame(Millis timeout = 5000ms);
  // Reads frames until the server's close frame, then waits for the TCP end.
  CloseOutcome read_until_close(Millis timeout = 5000ms);
  // Reads data frames (text/binary/continuation) until their payloads add up
  // to at least `bytes`; other frames are kept in *others if given.
  std::string read_data(std::size_t bytes, Millis timeout = 5000ms,
                        std::vector<InFrame>* others = nullptr);
  // True once the peer has closed the TCP connection (EOF or reset).
  bool wait_closed(Millis timeout);
  // Sends a FIN (no close frame): we send nothing more but still read.
  void shutdown_write();
  // Drops the connection with a TCP reset, like a crashed peer.
  void reset();

 private:
  // Reads what is available into buffer_ within the deadline; false on EOF,
  // error or deadline (eof_ tells the first two apart from the last).
  bool fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace wsexec_test
