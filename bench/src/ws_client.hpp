// A minimal WebSocket client (RFC 6455) made for load: frames are built
// once and sent in batches, received frames are parsed in place and their
// payloads can be skipped without a copy. Beast parses the handshake.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Target {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string path = "/";
};

enum class Opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10
};

// One client frame (masked with `mask`), appended to `out`.
void append_client_frame(std::string& out, Opcode opcode, std::string_view payload,
                         std::uint32_t mask, bool fin = true);
// One server frame (not masked), appended to `out`.
void append_server_frame(std::string& out, Opcode opcode, std::string_view payload,
                         bool fin = true);

struct Message {
  Opcode opcode = Opcode::text;
  std::size_t size = 0;
  std::string payload;  // filled only when asked for
  int close_code = 0;   // for Opcode::close
};

class WsClient {
 public:
  WsClient(asio::any_io_executor executor, std::size_t initial_buffer = 4096);

  // TCP connect (TCP_NODELAY) and the opening handshake; throws
  // std::system_error or std::runtime_error (e.g. "HTTP 429").
  asio::awaitable<void> connect(const Target& target);
  // Frames built by append_client_frame, written as they are.
  asio::awaitable<void> write_raw(std::string_view frames);
  asio::awaitable<void> send(Opcode opcode, std::string_view payload);
  // The next data message (fragments joined); ping/pong skipped; a close
  // frame is returned as Opcode::close. Throws at EOF or on error.
  asio::awaitable<Message> read_message(bool keep_payload);
  // Close handshake: send 1000, wait for the server's close and its EOF
  // (so the server holds the TIME_WAIT), at most `wait`.
  asio::awaitable<void> close(std::chrono::milliseconds wait);
  // Immediate close of the socket: wakes every pending operation.
  void abort();

  tcp::socket& socket() { return socket_; }
  std::uint32_t mask() const { return mask_; }

 private:
  asio::awaitable<void> read_more();
  asio::awaitable<void> fill(std::size_t need);
  std::size_t available() const { return end_ - begin_; }

  tcp::socket socket_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint32_t mask_;
  std::string scratch_;
};

}  // namespace bench
