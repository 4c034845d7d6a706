// Request lines that are not HTTP (issue 12): a method that is not a token,
// a target with bytes outside ASCII or that is no absolute path, a version
// that is not HTTP/1.x. Each must get 400, never 403 or 404 as if it had been
// understood and looked up, in every mode, and the server must go on serving.
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "http_request.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

struct MalformedLine {
  std::string what;
  std::string request_line;
};

std::vector<MalformedLine> malformed_request_lines() {
  return {
      {"non-ASCII target", "GET /\x80\x81 HTTP/1.1"},
      {"non-ASCII bytes after a file name", "GET /index.html\xff HTTP/1.1"},
      {"raw UTF-8 in the target", "GET /\xc3\xa9 HTTP/1.1"},
      {"non-ASCII query", "GET /index.html?q=\xe2\x82\xac HTTP/1.1"},
      {"non-ASCII target before the path", "GET \x80\x81 / HTTP/1.1"},
      {"method that is not a token", "\x80\x81 / HTTP/1.1"},
      {"non-ASCII byte inside the method", "G\x80T / HTTP/1.1"},
      {"separator inside the method", "G(T / HTTP/1.1"},
      {"tab after the method", "GET\t/ HTTP/1.1"},
      {"relative target", "GET index.html HTTP/1.1"},
      {"query alone", "GET ?q=1 HTTP/1.1"},
      {"absolute form of another scheme", "GET ftp://127.0.0.1/index.html HTTP/1.1"},
      {"authority form on GET", "GET 127.0.0.1:80 HTTP/1.1"},
      {"asterisk on GET", "GET * HTTP/1.1"},
      {"control byte in the target", "GET /index\x01.html HTTP/1.1"},
      {"HTTP/2.0 as text", "GET / HTTP/2.0"},
      {"no version", "GET /index.html"},
  };
}

int status_of(const ServerProcess& server, const std::string& head) {
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  if (!connection->send_raw(head)) return -1;
  return connection->read_response(5s).status;
}

std::string with_host(const std::string& request_line, const std::string& more = "") {
  return request_line + "\r\nHost: 127.0.0.1\r\n" + more + "Connection: close\r\n\r\n";
}

TEST(MalformedRequestLine, EveryShapeGets400FromAStaticServer) {
  TempDir dir;
  dir.write_file("index.html", "<p>hello</p>\n");
  ServerProcess server({"--staticdir=" + dir.path(), "cat"});
  for (const MalformedLine& line : malformed_request_lines()) {
    EXPECT_EQ(status_of(server, with_host(line.request_line)), 400) << line.what;
  }
  // The same name percent-encoded is well formed, looked up and not found;
  // the server still serves the others.
  EXPECT_EQ(plain_get(server.port(), "/%C3%A9").status, 404);
  EXPECT_EQ(plain_get(server.port(), "/index.html").status, 200);
  EXPECT_TRUE(server.running());
}

TEST(MalformedRequestLine, EveryShapeGets400AsAnUpgradeToACommand) {
  ServerProcess server({"cat"});
  const std::string upgrade_fields =
      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
  for (const MalformedLine& line : malformed_request_lines()) {
    const std::string head =
        line.request_line + "\r\nHost: 127.0.0.1\r\n" + upgrade_fields + "\r\n";
    EXPECT_EQ(status_of(server, head), 400) << line.what;
  }
  RawWsConnection connection(server.port());
  EXPECT_EQ(http_status_of(connection.request_upgrade(UpgradeRequest{})), 101);
}

}  // namespace
}  // namespace wsexec_test
