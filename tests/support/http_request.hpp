// A small synchronous HTTP/1.1 client for the plain-HTTP side of the server
// (--staticdir, --cgidir, --dir refusals, --unixsocket), over TCP to
// 127.0.0.1 / ::1 or over a Unix socket path. Every call that waits takes a
// deadline, so a misbehaving server fails a test instead of hanging it.
//
// It understands just what the tests need: a status line, headers, and a
// body framed by Content-Length, by chunked encoding, or by the end of the
// connection (and no body for HEAD, 1xx, 204 and 304). Requests are written
// as given, so a test can also send what a browser never would.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsexec_test {

using namespace std::chrono_literals;

struct PlainHttpRequest {
  std::string method = "GET";
  // Path and query, sent exactly as given (no encoding is applied).
  std::string target = "/";
  std::string version = "HTTP/1.1";
  // Sent in order. A Host header is added unless one is given here or
  // send_host is false.
  std::vector<std::pair<std::string, std::string>> headers;
  bool send_host = true;
  // "Connection: close" unless keep_alive (or a Connection header is given).
  bool keep_alive = false;
  std::string body;
  // Adds "Content-Length: body.size()" when there is a body (or the method
  // is POST/PUT) and no Content-Length / Transfer-Encoding header is given.
  bool add_content_length = true;
};

struct PlainHttpResponse {
  // 0 when no complete status line arrived (see error).
  int status = 0;
  std::string version;  // "HTTP/1.1"
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The body came with Transfer-Encoding: chunked (and was decoded).
  bool chunked = false;
  // Non-empty when the response was not received completely (deadline,
  // connection closed early, unparsable): says what went wrong.
  std::string error;

  bool complete() const { return status != 0 && error.empty(); }
  // The first value of a header (case-insensitive name); nullopt if absent.
  std::optional<std::string> header(std::string_view name) const;
  // How many times a header appears.
  std::size_t header_count(std::string_view name) const;
  // One line for assertion messages: status, headers and the start of the body.
  std::string describe() const;
};

class PlainHttpConnection {
 public:
  // Connects to a loopback address ("127.0.0.1" or "::1") or throws
  // std::runtime_error saying why.
  static std::unique_ptr<PlainHttpConnection> tcp(const std::string& address, std::uint16_t port,
                                                  std::chrono::milliseconds timeout = 5000ms);
  // Connects to a Unix socket path or throws.
  static std::unique_ptr<PlainHttpConnection> unix_socket(
      const std::string& path, std::chrono::milliseconds timeout = 5000ms);

  ~PlainHttpConnection();
  PlainHttpConnection(const PlainHttpConnection&) = delete;
  PlainHttpConnection& operator=(const PlainHttpConnection&) = delete;

  // The Host header value sent when a request names none.
  void set_default_host(std::string host) { default_host_ = std::move(host); }

  // Writes the request and reads its response.
  PlainHttpResponse request(const PlainHttpRequest& request,
                            std::chrono::milliseconds timeout = 10000ms);
  // The request's bytes exactly as request() would write them.
  std::string serialize(const PlainHttpRequest& request) const;

  // Writes raw bytes. False if not all were written before the deadline or
  // the connection failed.
  bool send_raw(std::string_view data, std::chrono::milliseconds timeout = 5000ms);
  // Reads one response (for a HEAD request pass head = true: no body).
  PlainHttpResponse read_response(std::chrono::milliseconds timeout = 10000ms, bool head = false);
  // Reads raw bytes until they contain marker, the peer closes or the
  // deadline passes; returns everything read (buffered bytes included).
  std::string read_raw_until(std::string_view marker, std::chrono::milliseconds timeout);
  // Waits until the peer closes the connection (EOF or reset); bytes that
  // arrive meanwhile are kept in *received if given. False at the deadline.
  bool wait_closed(std::chrono::milliseconds timeout, std::string* received = nullptr);
  // True if the peer has closed the connection already (does not wait;
  // arriving bytes are buffered for later reads).
  bool peer_closed();
  // Closes the connection at once.
  void close();

 private:
  explicit PlainHttpConnection(int fd);
  // Reads more bytes into buffer_; false on EOF, error or deadline (which
  // one: eof_ / the returned reason).
  bool fill(std::chrono::steady_clock::time_point deadline, std::string* why);

  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
  std::string default_host_ = "localhost";
};

// One request on a fresh TCP connection to 127.0.0.1:port (Host is
// "127.0.0.1:port" unless given). Never throws: a failed connect is
// reported in error.
PlainHttpResponse plain_http(std::uint16_t port, const PlainHttpRequest& request,
                             std::chrono::milliseconds timeout = 10000ms,
                             const std::string& address = "127.0.0.1");
// A GET of target on a fresh connection to 127.0.0.1:port.
PlainHttpResponse plain_get(std::uint16_t port, const std::string& target,
                            std::vector<std::pair<std::string, std::string>> headers = {},
                            std::chrono::milliseconds timeout = 10000ms);
// One request on a fresh connection to a Unix socket (Host "localhost").
PlainHttpResponse plain_http_unix(const std::string& path, const PlainHttpRequest& request,
                                  std::chrono::milliseconds timeout = 10000ms);

}  // namespace wsexec_test
