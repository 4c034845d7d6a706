#include "raw_ws.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "test_helpers.hpp"

namespace wsexec_test {

using Clock = std::chrono::steady_clock;

namespace {

// Any non-zero key will do; a fixed one keeps failures reproducible.
constexpr unsigned char kMaskKey[4] = {0x37, 0xfa, 0x21, 0x3d};

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

void append_big_endian(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

bool same_header_name(std::string_view line, std::string_view name) {
  auto colon = line.find(':');
  if (colon != name.size()) return false;
  return std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

}  // namespace

std::string encode_frame(const OutFrame& frame) {
  std::string out;
  out.push_back(
      static_cast<char>((frame.fin ? 0x80 : 0) | ((frame.rsv & 0x7) << 4) | (frame.opcode & 0x0f)));
  const std::uint64_t size = frame.payload.size();
  const char mask_bit = frame.masked ? static_cast<char>(0x80) : 0;
  LengthForm form = frame.length_form;
  if (form == LengthForm::minimal) {
    form = size < 126       ? LengthForm::minimal
           : size <= 0xffff ? LengthForm::force16
                            : LengthForm::force64;
  }
  if (form == LengthForm::minimal) {
    out.push_back(static_cast<char>(mask_bit | static_cast<char>(size)));
  } else if (form == LengthForm::force16) {
    out.push_back(static_cast<char>(mask_bit | 126));
    append_big_endian(out, size, 2);
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    append_big_endian(out, size, 8);
  }
  if (!frame.masked) return out + frame.payload;
  out.append(reinterpret_cast<const char*>(kMaskKey), 4);
  for (std::size_t i = 0; i < frame.payload.size(); ++i) {
    out.push_back(static_cast<char>(frame.payload[i] ^ kMaskKey[i % 4]));
  }
  return out;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  append_big_endian(payload, code, 2);
  payload.append(reason);
  return payload;
}

int InFrame::close_code() const {
  if (payload.size() < 2) return -1;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

std::string InFrame::close_reason() const {
  return payload.size() > 2 ? payload.substr(2) : "";
}

std::string describe(const InFrame& frame) {
  std::string text = "frame opcode " + std::to_string(frame.opcode) +
                     (frame.fin ? " fin" : " not-fin") + " rsv " + std::to_string(frame.rsv) +
                     (frame.masked ? " MASKED" : "") + " payload " +
                     std::to_string(frame.payload.size()) + " bytes";
  if (frame.opcode == opcode::close) text += " code " + std::to_string(frame.close_code());
  return text;
}

std::string CloseOutcome::describe() const {
  std::string text = close_frame ? "close frame " + std::to_string(code) + " '" + reason + "'"
                                 : std::string("no close frame");
  text += connection_closed ? ", connection closed" : ", connection still open";
  text += ", " + std::to_string(before.size()) + " frames before";
  for (const InFrame& frame : before) text += "; " + wsexec_test::describe(frame);
  return text;
}

std::string UpgradeRequest::serialize() const {
  std::string out = "GET " + target + " " + version + "\r\n";
  for (const std::string& line : lines) out += line + "\r\n";
  return out + "\r\n";
}

UpgradeRequest& UpgradeRequest::set(std::string_view name, std::string_view value) {
  std::string line = std::string(name) + ": " + std::string(value);
  for (std::string& existing : lines) {
    if (same_header_name(existing, name)) {
      existing = line;
      return *this;
    }
  }
  lines.push_back(line);
  return *this;
}

UpgradeRequest& UpgradeRequest::remove(std::string_view name) {
  std::erase_if(lines, [&](const std::string& line) { return same_header_name(line, name); });
  return *this;
}

RawWsConnection::RawWsConnection(std::uint16_t port, Millis timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  int error = 0;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    error = errno;
  } else {
    pollfd waiter{fd_, POLLOUT, 0};
    socklen_t length = sizeof error;
    if (::poll(&waiter, 1, static_cast<int>(timeout.count())) != 1) {
      error = ETIMEDOUT;
    } else if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) {
      error = errno;
    }
  }
  if (error != 0) {
    ::close(fd_);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(error));
  }
  // Frames must leave at once, one by one, or tests that send a frame and
  // then wait for its answer would measure Nagle's delay.
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawWsConnection::~RawWsConnection() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<RawWsConnection> RawWsConnection::upgraded(std::uint16_t port, Millis timeout) {
  auto connection = std::make_unique<RawWsConnection>(port, timeout);
  std::string head = connection->request_upgrade(UpgradeRequest{}, timeout);
  if (http_status_of(head) != 101) {
    throw std::runtime_error("upgrade refused: '" + head + "'");
  }
  return connection;
}

bool RawWsConnection::send(std::string_view bytes, Millis timeout) {
  return fd_ >= 0 && send_all_on(fd_, bytes, timeout);
}

bool RawWsConnection::send_frame(const OutFrame& frame, Millis timeout) {
  return send(encode_frame(frame), timeout);
}

std::string RawWsConnection::request_upgrade(const UpgradeRequest& request, Millis timeout) {
  if (!send(request.serialize(), timeout)) return "";
  return read_head(timeout);
}

std::string RawWsConnection::read_head(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline)) return "";
  }
  std::string head = buffer_.substr(0, end + 4);
  buffer_.erase(0, end + 4);
  return head;
}

bool RawWsConnection::fill(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  char chunk[16384];
  while (true) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      eof_ = true;  // an orderly close or a reset: the peer is gone either way
      return false;
    }
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, remaining_ms(deadline)) <= 0) return false;
  }
}

ReadResult RawWsConnection::read_frame(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  ReadResult result;
  // Waits until the buffer holds `bytes` bytes, or says why not.
  auto have = [&](std::size_t bytes) {
    while (buffer_.size() < bytes) {
      if (!fill(deadline)) {
        result.end = eof_ ? ReadEnd::connection_closed : ReadEnd::timeout;
        return false;
      }
    }
    return true;
  };
  if (!have(2)) return result;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(buffer_[i]); };
  std::size_t header = 2;
  std::uint64_t size = byte(1) & 0x7f;
  const bool masked = (byte(1) & 0x80) != 0;
  if (size >= 126) {
    const std::size_t extended = size == 126 ? 2 : 8;
    if (!have(header + extended)) return result;
    size = 0;
    for (std::size_t i = 0; i < extended; ++i) size = (size << 8) | byte(header + i);
    header += extended;
  }
  if (masked) header += 4;
  if (!have(header + size)) return result;
  InFrame& frame = result.frame;
  frame.fin = (byte(0) & 0x80) != 0;
  frame.rsv = static_cast<std::uint8_t>((byte(0) >> 4) & 0x7);
  frame.opcode = static_cast<std::uint8_t>(byte(0) & 0x0f);
  frame.masked = masked;
  frame.payload = buffer_.substr(header, size);
  if (masked) {
    for (std::size_t i = 0; i < frame.payload.size(); ++i) {
      frame.payload[i] = static_cast<char>(frame.payload[i] ^ buffer_[header - 4 + i % 4]);
    }
  }
  buffer_.erase(0, header + size);
  result.end = ReadEnd::frame;
  return result;
}

CloseOutcome RawWsConnection::read_until_close(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  CloseOutcome outcome;
  while (true) {
    ReadResult read = read_frame(std::chrono::duration_cast<Millis>(deadline - Clock::now()));
    if (read.end == ReadEnd::connection_closed) {
      outcome.connection_closed = true;
      return outcome;
    }
    if (read.end == ReadEnd::timeout) return outcome;
    if (read.frame.opcode == opcode::close) {
      outcome.close_frame = true;
      outcome.code = read.frame.close_code();
      outcome.reason = read.frame.close_reason();
      // The closing handshake: answer, as a client would, so the server
      // can close the TCP connection.
      send_frame({.opcode = opcode::close, .payload = read.frame.payload.substr(0, 2)}, 1000ms);
      outcome.connection_closed = wait_closed(std::chrono::duration_cast<Millis>(
          std::max(deadline - Clock::now(), Clock::duration(Millis(500)))));
      return outcome;
    }
    outcome.before.push_back(std::move(read.frame));
  }
}

std::string RawWsConnection::read_data(std::size_t bytes, Millis timeout,
                                       std::vector<InFrame>* others) {
  const auto deadline = Clock::now() + timeout;
  std::string data;
  while (data.size() < bytes) {
    ReadResult read = read_frame(std::chrono::duration_cast<Millis>(deadline - Clock::now()));
    if (read.end != ReadEnd::frame) break;
    const std::uint8_t op = read.frame.opcode;
    if (op == opcode::text || op == opcode::binary || op == opcode::continuation) {
      data += read.frame.payload;
    } else if (others) {
      others->push_back(std::move(read.frame));
    }
  }
  return data;
}

bool RawWsConnection::wait_closed(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (fill(deadline)) buffer_.clear();  // whatever still arrives is dropped
  return eof_;
}

void RawWsConnection::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void RawWsConnection::reset() {
  if (fd_ < 0) return;
  linger abortive{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace wsexec_test
