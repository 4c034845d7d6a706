#include "echo_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <cstring>
#include <thread>
#include <vector>

#include "ws_client.hpp"

namespace bench {
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

// XOR with the 4-byte key, eight bytes at a time.
void unmask(char* data, std::size_t size, const char* key_bytes) {
  std::uint32_t key32;
  std::memcpy(&key32, key_bytes, 4);
  const std::uint64_t key64 = (std::uint64_t{key32} << 32) | key32;
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, data + i, 8);
    word ^= key64;
    std::memcpy(data + i, &word, 8);
  }
  for (; i < size; ++i) data[i] ^= key_bytes[i & 3];
}

// One connection: Beast reads the upgrade request, then frames are echoed
// with a hand-written parser (client frames are masked, ours are not).
asio::awaitable<void> serve(tcp::socket socket) {
  socket.set_option(tcp::no_delay(true));
  boost::beast::flat_buffer head;
  http::request_parser<http::empty_body> parser;
  co_await http::async_read(socket, head, parser, asio::use_awaitable);
  const auto& request = parser.get();
  boost::beast::websocket::detail::sec_ws_accept_type accept;
  boost::beast::websocket::detail::make_sec_ws_accept(accept, request["Sec-WebSocket-Key"]);
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      std::string(accept.data(), accept.size()) + "\r\n\r\n";
  co_await asio::async_write(socket, asio::buffer(response), asio::use_awaitable);

  std::vector<char> in(64 * 1024);
  std::size_t begin = 0;
  std::size_t end = head.size();
  if (end > in.size()) in.resize(end);
  std::memcpy(in.data(), head.data().data(), end);
  // What goes back: bytes of `out` (headers, small frames) and, for big
  // payloads, the unmasked payload where it lies in `in` (no copy).
  struct Piece {
    std::size_t out_begin = 0, out_end = 0;  // a range of `out`, or
    std::string_view payload;                // a payload in `in`
  };
  std::string out;
  std::vector<Piece> pieces;
  std::vector<asio::const_buffer> buffers;
  bool closing = false;
  while (!closing) {
    out.clear();
    pieces.clear();
    std::size_t out_mark = 0;
    auto close_out_range = [&] {
      if (out.size() > out_mark) pieces.push_back({out_mark, out.size(), {}});
      out_mark = out.size();
    };
    while (end - begin >= 2) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(in.data() + begin);
      const std::size_t have = end - begin;
      std::uint64_t size = p[1] & 0x7f;
      std::size_t head_size = 2;
      if (size == 126) {
        if (have < 4) break;
        size = (std::uint64_t{p[2]} << 8) | p[3];
        head_size = 4;
      } else if (size == 127) {
        if (have < 10) break;
        size = 0;
        for (int i = 0; i < 8; ++i) size = (size << 8) | p[2 + i];
        head_size = 10;
      }
      const bool masked = (p[1] & 0x80) != 0;
      const std::size_t total = head_size + (masked ? 4 : 0) + size;
      if (have < total) {
        if (pieces.empty() && out.empty() && in.size() - begin < total) {
          // Make room for the whole frame (nothing points into `in` yet).
          std::memmove(in.data(), in.data() + begin, have);
          begin = 0;
          end = have;
          if (in.size() < 2 * total) in.resize(2 * total);
        }
        break;
      }
      const bool fin = (p[0] & 0x80) != 0;
      auto opcode = static_cast<Opcode>(p[0] & 0x0f);
      char* payload = in.data() + begin + head_size + (masked ? 4 : 0);
      if (masked) unmask(payload, size, in.data() + begin + head_size);
      const std::string_view body(payload, size);
      begin += total;
      if (opcode == Opcode::close) {
        append_server_frame(out, Opcode::close, body.substr(0, std::min<std::size_t>(2, size)));
        closing = true;
        break;
      }
      if (opcode == Opcode::ping) {
        append_server_frame(out, Opcode::pong, body);
      } else if (opcode == Opcode::pong) {
        continue;
      } else if (size >= 16 * 1024) {
        // The header for `size` bytes, then the payload in place.
        std::string header;
        header.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<std::uint8_t>(opcode)));
        if (size <= 0xffff) {
          header.push_back(static_cast<char>(126));
          header.push_back(static_cast<char>(size >> 8));
          header.push_back(static_cast<char>(size & 0xff));
        } else {
          header.push_back(static_cast<char>(127));
          for (int shift = 56; shift >= 0; shift -= 8) {
            header.push_back(static_cast<char>((size >> shift) & 0xff));
          }
        }
        out += header;
        close_out_range();
        pieces.push_back({0, 0, body});
      } else {
        append_server_frame(out, opcode, body, fin);
      }
    }
    close_out_range();
    if (!pieces.empty()) {
      buffers.clear();
      for (const auto& piece : pieces) {
        if (piece.payload.data() != nullptr) {
          buffers.emplace_back(piece.payload.data(), piece.payload.size());
        } else {
          buffers.emplace_back(out.data() + piece.out_begin, piece.out_end - piece.out_begin);
        }
      }
      co_await asio::async_write(socket, buffers, asio::use_awaitable);
    }
    if (begin == end) begin = end = 0;
    if (closing) break;
    if (end == in.size()) {
      std::memmove(in.data(), in.data() + begin, end - begin);
      end -= begin;
      begin = 0;
      if (end == in.size()) in.resize(in.size() * 2);
    }
    error_code ec;
    const std::size_t n =
        co_await socket.async_read_some(asio::buffer(in.data() + end, in.size() - end),
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    end += n;
  }
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  while (true) {
    error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

struct EchoServer::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;
};

EchoServer::EchoServer(unsigned short port) : impl_(std::make_unique<Impl>()) {
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  asio::co_spawn(impl_->io, accept_loop(impl_->acceptor), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

EchoServer::~EchoServer() {
  impl_->io.stop();
  impl_->thread.join();
}

}  // namespace bench
