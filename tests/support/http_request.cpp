#include "http_request.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "test_helpers.hpp"

namespace wsexec_test {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits for a non-blocking connect() to finish; closes fd and throws on failure.
void finish_connect(int fd, const std::string& what, milliseconds timeout) {
  pollfd waiter{fd, POLLOUT, 0};
  int error = 0;
  socklen_t length = sizeof error;
  const int ready = ::poll(&waiter, 1, static_cast<int>(timeout.count()));
  if (ready != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
    ::close(fd);
    throw std::runtime_error("connect to " + what +
                             " failed: " + std::strerror(ready == 1 ? error : ETIMEDOUT));
  }
}

bool has_header(const PlainHttpRequest& request, std::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return same_name(header.first, name); });
}

// Parses a chunk-size line ("1a;ext=x"); nullopt if it is not hex.
std::optional<std::size_t> chunk_size(std::string_view line) {
  line = trim(line.substr(0, line.find(';')));
  std::size_t size = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (line.empty() || ec != std::errc() || end != line.data() + line.size()) return std::nullopt;
  return size;
}

}  // namespace

std::optional<std::string> PlainHttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (same_name(key, name)) return value;
  }
  return std::nullopt;
}

std::size_t PlainHttpResponse::header_count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(),
                    [&](const auto& header) { return same_name(header.first, name); }));
}

std::string PlainHttpResponse::describe() const {
  std::string text = "HTTP " + std::to_string(status) + " " + reason;
  if (!error.empty()) text += " [error: " + error + "]";
  for (const auto& [key, value] : headers) text += " | " + key + ": " + value;
  std::string shown = body.substr(0, 200);
  for (char& c : shown) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  text += " | body (" + std::to_string(body.size()) + " bytes): " + shown;
  return text;
}

PlainHttpConnection::PlainHttpConnection(int fd) : fd_(fd) {}

PlainHttpConnection::~PlainHttpConnection() {
  close();
}

void PlainHttpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::unique_ptr<PlainHttpConnection> PlainHttpConnection::tcp(const std::string& address,
                                                              std::uint16_t port,
                                                              milliseconds timeout) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  std::string host;
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof *v4;
    host = address + ":" + std::to_string(port);
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof *v6;
    host = "[" + address + "]:" + std::to_string(port);
  } else {
    throw std::runtime_error("not an IP address: " + address);
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 && errno != EINPROGRESS) {
    int saved = errno;
    ::close(fd);
    throw std::runtime_error("connect to " + host + ": " + std::strerror(saved));
  }
  finish_connect(fd, host, timeout);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::unique_ptr<PlainHttpConnection> connection(new PlainHttpConnection(fd));
  connection->set_default_host(host);
  return connection;
}

std::unique_ptr<PlainHttpConnection> PlainHttpConnection::unix_socket(const std::string& path,
                                                                      milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    throw std::runtime_error("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // A Unix-socket connect completes at once or fails (EAGAIN when the
  // backlog is full), so it is done blocking, bounded by a send timeout.
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  timeval bound{};
  bound.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  bound.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
  int result;
  do {
    result = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    int saved = errno;
    ::close(fd);
    throw std::runtime_error("connect to unix socket " + path + ": " + std::strerror(saved));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<PlainHttpConnection>(new PlainHttpConnection(fd));
}

std::string PlainHttpConnection::serialize(const PlainHttpRequest& request) const {
  std::string text = request.method + " " + request.target + " " + request.version + "\r\n";
  if (request.send_host && !has_header(request, "Host")) text += "Host: " + default_host_ + "\r\n";
  for (const auto& [name, value] : request.headers) text += name + ": " + value + "\r\n";
  if (!request.keep_alive && !has_header(request, "Connection")) text += "Connection: close\r\n";
  const bool wants_length =
      !request.body.empty() || request.method == "POST" || request.method == "PUT";
  if (request.add_content_length && wants_length && !has_header(request, "Content-Length") &&
      !has_header(request, "Transfer-Encoding")) {
    text += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  text += "\r\n";
  text += request.body;
  return text;
}

PlainHttpResponse PlainHttpConnection::request(const PlainHttpRequest& request,
                                               milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  if (!send_raw(serialize(request), timeout)) {
    PlainHttpResponse failed;
    failed.error = "could not write the request";
    // The server may have answered (and closed) before taking it all.
    PlainHttpResponse early =
        read_response(milliseconds(std::max(remaining_ms(deadline), 1)), request.method == "HEAD");
    return early.status != 0 ? early : failed;
  }
  return read_response(milliseconds(std::max(remaining_ms(deadline), 1)), request.method == "HEAD");
}

bool PlainHttpConnection::send_raw(std::string_view data, milliseconds timeout) {
  return fd_ >= 0 && send_all_on(fd_, data, timeout);
}

bool PlainHttpConnection::fill(Clock::time_point deadline, std::string* why) {
  if (fd_ < 0) {
    if (why) *why = "connection closed by the test";
    return false;
  }
  char chunk[16384];
  while (true) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) {
      eof_ = true;
      if (why) *why = "connection closed by the server";
      return false;
    }
    if (errno != EAGAIN && errno != EINTR) {
      eof_ = true;
      if (why) *why = std::string("recv: ") + std::strerror(errno);
      return false;
    }
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, remaining_ms(deadline)) <= 0) {
      if (why) *why = "deadline passed";
      return false;
    }
  }
}

PlainHttpResponse PlainHttpConnection::read_response(milliseconds timeout, bool head) {
  const auto deadline = Clock::now() + timeout;
  PlainHttpResponse response;
  std::string why;

  std::size_t head_end = std::string::npos;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (eof_ || !fill(deadline, &why)) {
      response.error = (eof_ ? std::string("connection closed by the server") : why) +
                       " before a complete response head (got " + std::to_string(buffer_.size()) +
                       " bytes)";
      return response;
    }
  }
  const std::string head_text = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);

  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  const auto first_space = status_line.find(' ');
  if (status_line.rfind("HTTP/", 0) != 0 || first_space == std::string::npos ||
      status_line.size() < first_space + 4) {
    response.error = "bad status line: " + status_line;
    return response;
  }
  response.version = status_line.substr(0, first_space);
  const std::string code = status_line.substr(first_space + 1, 3);
  int status = 0;
  auto [code_end, code_ec] = std::from_chars(code.data(), code.data() + code.size(), status);
  if (code_ec != std::errc() || code_end != code.data() + code.size()) {
    response.error = "bad status line: " + status_line;
    return response;
  }
  response.status = status;
  if (status_line.size() > first_space + 5) response.reason = status_line.substr(first_space + 5);

  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head_text.find("\r\n", start);
    std::string_view line(head_text.data() + start,
                          (line_end == std::string::npos ? head_text.size() : line_end) - start);
    if (line.empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      response.error = "header line without a colon: " + std::string(line);
      return response;
    }
    response.headers.emplace_back(std::string(line.substr(0, colon)),
                                  std::string(trim(line.substr(colon + 1))));
  }

  if (head || (status >= 100 && status < 200) || status == 204 || status == 304) return response;

  const auto transfer_encoding = response.header("Transfer-Encoding");
  if (transfer_encoding && same_name(trim(*transfer_encoding), "chunked")) {
    response.chunked = true;
    while (true) {
      std::size_t size_end;
      while ((size_end = buffer_.find("\r\n")) == std::string::npos) {
        if (eof_ || !fill(deadline, &why)) {
          response.error =
              (eof_ ? "connection closed by the server" : why) + " inside chunked body";
          return response;
        }
      }
      const auto size = chunk_size(std::string_view(buffer_).substr(0, size_end));
      if (!size) {
        response.error = "bad chunk size line: " + buffer_.substr(0, size_end);
        return response;
      }
      buffer_.erase(0, size_end + 2);
      if (*size == 0) {
        // Trailers (usually none), then the final empty line.
        while (true) {
          std::size_t trailer_end;
          while ((trailer_end = buffer_.find("\r\n")) == std::string::npos) {
            if (eof_ || !fill(deadline, &why)) {
              response.error = (eof_ ? "connection closed by the server" : why) +
                               " before the end of the chunked body";
              return response;
            }
          }
          const bool last = trailer_end == 0;
          buffer_.erase(0, trailer_end + 2);
          if (last) return response;
        }
      }
      while (buffer_.size() < *size + 2) {
        if (eof_ || !fill(deadline, &why)) {
          response.error = (eof_ ? "connection closed by the server" : why) + " inside a chunk";
          return response;
        }
      }
      if (buffer_.compare(*size, 2, "\r\n") != 0) {
        response.error = "chunk not followed by CRLF";
        return response;
      }
      response.body.append(buffer_, 0, *size);
      buffer_.erase(0, *size + 2);
    }
  }

  if (const auto length_text = response.header("Content-Length")) {
    std::size_t length = 0;
    const std::string_view digits = trim(*length_text);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      response.error = "bad Content-Length: " + *length_text;
      return response;
    }
    while (buffer_.size() < length) {
      if (eof_ || !fill(deadline, &why)) {
        response.body = buffer_;
        buffer_.clear();
        response.error = (eof_ ? std::string("connection closed by the server") : why) + " after " +
                         std::to_string(response.body.size()) + " of " + std::to_string(length) +
                         " body bytes";
        return response;
      }
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // No framing: the body ends when the server closes the connection.
  while (!eof_) {
    if (!fill(deadline, &why) && !eof_) {
      response.body = buffer_;
      buffer_.clear();
      response.error = why + " before the end of a body ended by close";
      return response;
    }
  }
  response.body = buffer_;
  buffer_.clear();
  return response;
}

std::string PlainHttpConnection::read_raw_until(std::string_view marker, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (marker.empty() || buffer_.find(marker) == std::string::npos) {
    if (eof_ || !fill(deadline, nullptr)) break;
  }
  std::string all;
  all.swap(buffer_);
  return all;
}

bool PlainHttpConnection::wait_closed(milliseconds timeout, std::string* received) {
  const auto deadline = Clock::now() + timeout;
  while (!eof_) {
    if (!fill(deadline, nullptr) && !eof_) break;
  }
  if (received) *received = buffer_;
  return eof_;
}

bool PlainHttpConnection::peer_closed() {
  if (!eof_) fill(Clock::now(), nullptr);
  return eof_;
}

PlainHttpResponse plain_http(std::uint16_t port, const PlainHttpRequest& request,
                             milliseconds timeout, const std::string& address) {
  try {
    auto connection = PlainHttpConnection::tcp(address, port, timeout);
    return connection->request(request, timeout);
  } catch (const std::exception& e) {
    PlainHttpResponse failed;
    failed.error = e.what();
    return failed;
  }
}

PlainHttpResponse plain_get(std::uint16_t port, const std::string& target,
                            std::vector<std::pair<std::string, std::string>> headers,
                            milliseconds timeout) {
  PlainHttpRequest request;
  request.target = target;
  request.headers = std::move(headers);
  return plain_http(port, request, timeout);
}

PlainHttpResponse plain_http_unix(const std::string& path, const PlainHttpRequest& request,
                                  milliseconds timeout) {
  try {
    auto connection = PlainHttpConnection::unix_socket(path, timeout);
    return connection->request(request, timeout);
  } catch (const std::exception& e) {
    PlainHttpResponse failed;
    failed.error = e.what();
    return failed;
  }
}

}  // namespace wsexec_test
