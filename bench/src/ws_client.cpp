#include "ws_client.hpp"

#include "common.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <random>
#include <stdexcept>

namespace bench {
namespace http = boost::beast::http;
using boost::system::error_code;

namespace {

void append_header(std::string& out, Opcode opcode, std::size_t size, bool masked, bool fin) {
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(opcode)));
  const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
  if (size < 126) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else if (size <= 0xffff) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(size >> 8));
    out.push_back(static_cast<char>(size & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> shift) & 0xff));
    }
  }
}

std::uint32_t random_mask() {
  static thread_local std::mt19937 generator{std::random_device{}()};
  std::uint32_t mask = 0;
  while (mask == 0) mask = generator();
  return mask;
}

}  // namespace

void append_client_frame(std::string& out, Opcode opcode, std::string_view payload,
                         std::uint32_t mask, bool fin) {
  append_header(out, opcode, payload.size(), true, fin);
  unsigned char key[4];
  std::memcpy(key, &mask, 4);
  out.append(reinterpret_cast<const char*>(key), 4);
  const std::size_t start = out.size();
  out.append(payload);
  char* data = out.data() + start;
  for (std::size_t i = 0; i < payload.size(); ++i) data[i] ^= static_cast<char>(key[i & 3]);
}

void append_server_frame(std::string& out, Opcode opcode, std::string_view payload, bool fin) {
  append_header(out, opcode, payload.size(), false, fin);
  out.append(payload);
}

WsClient::WsClient(asio::any_io_executor executor, std::size_t initial_buffer)
    : socket_(std::move(executor)), buffer_(initial_buffer), mask_(random_mask()) {}

asio::awaitable<void> WsClient::connect(const Target& target) {
  const tcp::endpoint endpoint(asio::ip::make_address(target.host), target.port);
  co_await socket_.async_connect(endpoint, asio::use_awaitable);
  socket_.set_option(tcp::no_delay(true));

  std::string request = "GET " + target.path +
                        " HTTP/1.1\r\n"
                        "Host: " +
                        target.host + ":" + std::to_string(target.port) +
                        "\r\n"
                        "Upgrade: websocket\r\n"
                        "Connection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\n"
                        "Origin: http://" +
                        target.host +
                        "\r\n"
                        "\r\n";
  co_await asio::async_write(socket_, asio::buffer(request), asio::use_awaitable);

  boost::beast::flat_buffer head;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // a 101 has no body; other answers are errors anyway
  co_await http::async_read_header(socket_, head, parser, asio::use_awaitable);
  const auto& response = parser.get();
  if (response.result() != http::status::switching_protocols) {
    throw std::runtime_error("HTTP " + std::to_string(response.result_int()));
  }
  // Whatever came after the head (a child that writes at once) is ours.
  const auto rest = head.data();
  if (rest.size() > buffer_.size()) buffer_.resize(rest.size());
  std::memcpy(buffer_.data(), rest.data(), rest.size());
  begin_ = 0;
  end_ = rest.size();
}

asio::awaitable<void> WsClient::write_raw(std::string_view frames) {
  co_await asio::async_write(socket_, asio::buffer(frames.data(), frames.size()),
                             asio::use_awaitable);
}

asio::awaitable<void> WsClient::send(Opcode opcode, std::string_view payload) {
  scratch_.clear();
  append_client_frame(scratch_, opcode, payload, mask_);
  co_await write_raw(scratch_);
}

asio::awaitable<void> WsClient::read_more() {
  if (begin_ == end_) begin_ = end_ = 0;
  if (end_ == buffer_.size()) {
    if (begin_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      buffer_.resize(buffer_.size() * 2);
    }
  }
  const std::size_t n = co_await socket_.async_read_some(
      asio::buffer(buffer_.data() + end_, buffer_.size() - end_), asio::use_awaitable);
  end_ += n;
}

asio::awaitable<void> WsClient::fill(std::size_t need) {
  while (available() < need) {
    if (buffer_.size() - begin_ < need) {
      std::memmove(buffer_.data(), buffer_.data() + begin_, available());
      end_ -= begin_;
      begin_ = 0;
      if (buffer_.size() < need) buffer_.resize(need);
    }
    co_await read_more();
  }
}

asio::awaitable<Message> WsClient::read_message(bool keep_payload) {
  Message message;
  bool first = true;
  while (true) {
    co_await fill(2);
    const auto b0 = static_cast<std::uint8_t>(buffer_[begin_]);
    const auto b1 = static_cast<std::uint8_t>(buffer_[begin_ + 1]);
    const bool fin = (b0 & 0x80) != 0;
    const auto opcode = static_cast<Opcode>(b0 & 0x0f);
    const bool masked = (b1 & 0x80) != 0;
    std::uint64_t size = b1 & 0x7f;
    std::size_t head = 2;
    if (size == 126) {
      co_await fill(4);
      size = (static_cast<std::uint64_t>(static_cast<std::uint8_t>(buffer_[begin_ + 2])) << 8) |
             static_cast<std::uint8_t>(buffer_[begin_ + 3]);
      head = 4;
    } else if (size == 127) {
      co_await fill(10);
      size = 0;
      for (int i = 0; i < 8; ++i) {
        size = (size << 8) | static_cast<std::uint8_t>(buffer_[begin_ + 2 + i]);
      }
      head = 10;
    }
    if (masked) throw std::runtime_error("server sent a masked frame");
    begin_ += head;

    const bool control = (static_cast<std::uint8_t>(opcode) & 0x08) != 0;
    if (control) {
      co_await fill(size);
      if (opcode == Opcode::close) {
        Message closing;
        closing.opcode = Opcode::close;
        if (size >= 2) {
          closing.close_code = (static_cast<std::uint8_t>(buffer_[begin_]) << 8) |
                               static_cast<std::uint8_t>(buffer_[begin_ + 1]);
        }
        begin_ += size;
        co_return closing;
      }
      begin_ += size;  // ping / pong: skipped (wsexec pings a client whose reads it paused)
      continue;
    }
    if (first && opcode != Opcode::continuation) message.opcode = opcode;
    first = false;
    message.size += size;
    std::uint64_t left = size;
    while (left > 0) {
      if (available() == 0) co_await read_more();
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(left, available()));
      if (keep_payload) message.payload.append(buffer_.data() + begin_, take);
      begin_ += take;
      left -= take;
    }
    if (fin) co_return message;
  }
}

asio::awaitable<void> WsClient::close(std::chrono::milliseconds wait) {
  Watchdog watchdog(socket_.get_executor(), wait, [this] { abort(); });
  try {
    std::string frame;
    const char code[2] = {static_cast<char>(1000 >> 8), static_cast<char>(1000 & 0xff)};
    append_client_frame(frame, Opcode::close, std::string_view(code, 2), mask_);
    co_await write_raw(frame);
    while (true) {
      Message message = co_await read_message(false);
      if (message.opcode == Opcode::close) break;
    }
    // Then the server's EOF: it closes first and keeps the TIME_WAIT.
    char sink[256];
    while (true) co_await socket_.async_read_some(asio::buffer(sink), asio::use_awaitable);
  } catch (const std::exception&) {
    // EOF (the normal end), or the server was gone already.
  }
  watchdog.disarm();
  abort();
}

void WsClient::abort() {
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace bench
