// --unixsocket=PATH (issue 3, item 6): listen on a Unix socket too, or only
// when no --port/--address/--redirport is given. A stale socket file is
// replaced, a live one or a non-socket file is a start-up error, the
// start-up log names the socket, and the file is removed at exit.
// REMOTE_ADDR is "unix:" for clients that come through it.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

// Connects over the socket; true once the server accepts connections.
bool unix_socket_answers(const std::string& path) {
  try {
    PlainHttpConnection::unix_socket(path, 1000ms);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Waits until a server that listens only on a Unix socket is ready.
testing::AssertionResult wait_for_unix_server(ServerProcess& server, const std::string& path) {
  const bool ready = wait_until(
      [&] { return !server.running() || (fs::is_socket(path) && unix_socket_answers(path)); }, 10s,
      20ms);
  if (ready && server.running()) return testing::AssertionSuccess();
  return testing::AssertionFailure() << "no server on unix socket " << path << "\n"
                                     << server.diagnostics();
}

// TCP sockets the process listens on, from /proc/net/tcp{,6} and its fds.
int tcp_listeners_of(pid_t pid) {
  int count = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream lines(read_file(table));
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
      std::vector<std::string> fields = split_words(line);
      if (fields.size() < 10 || fields[3] != "0A") continue;  // 0A = LISTEN
      for (int fd : open_descriptors(pid)) {
        if (descriptor_target(pid, fd) == "socket:[" + fields[9] + "]") ++count;
      }
    }
  }
  return count;
}

ServerOptions unix_only(const std::string& path, std::vector<std::string> more) {
  ServerOptions options;
  options.add_listen_args = false;
  options.wait_until_listening = false;
  options.args = {"--unixsocket=" + path};
  options.args.insert(options.args.end(), more.begin(), more.end());
  return options;
}

// A test site: a static page and a CGI script printing REMOTE_ADDR.
struct UnixSite {
  TempDir dir;
  std::string socket_path;
  std::string www;
  std::string cgi;
  UnixSite() {
    socket_path = dir.file("ws.sock");
    www = dir.file("www");
    cgi = dir.file("cgi");
    fs::create_directories(www);
    fs::create_directories(cgi);
    dir.write_file("www/index.html", "<p>over a unix socket</p>\n");
    dir.write_script("cgi/remote.sh",
                     "printf 'Content-Type: text/plain\\n\\n'\n"
                     "echo \"REMOTE_ADDR=$REMOTE_ADDR\"\necho \"REMOTE_PORT=$REMOTE_PORT\"\n");
  }
};

// A minimal client-side WebSocket frame: FIN, opcode, masked payload (< 126 bytes).
std::string masked_frame(unsigned char opcode, const std::string& payload) {
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  std::string frame;
  frame += static_cast<char>(0x80 | opcode);
  frame += static_cast<char>(0x80 | payload.size());
  for (unsigned char byte : mask) frame += static_cast<char>(byte);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    frame += static_cast<char>(static_cast<unsigned char>(payload[i]) ^ mask[i % 4]);
  }
  return frame;
}

struct Frame {
  int opcode = -1;
  std::string payload;
};

// Reads one unmasked server frame (payload < 126 bytes) from pending bytes
// plus whatever the connection delivers before the deadline.
Frame read_frame(PlainHttpConnection& connection, std::string& pending, Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto have_frame = [&] {
    return pending.size() >= 2 &&
           pending.size() >= 2u + (static_cast<unsigned char>(pending[1]) & 0x7fu);
  };
  while (!have_frame() && std::chrono::steady_clock::now() < deadline) {
    std::string more = connection.read_raw_until("", 200ms);
    if (more.empty() && connection.peer_closed()) break;
    pending += more;
  }
  Frame frame;
  if (!have_frame()) return frame;
  const std::size_t length = static_cast<unsigned char>(pending[1]) & 0x7f;
  frame.opcode = static_cast<unsigned char>(pending[0]) & 0x0f;
  frame.payload = pending.substr(2, length);
  pending.erase(0, 2 + length);
  return frame;
}

TEST(UnixSocket, OnlyUnixSocketWhenNoTcpOptionIsGiven) {
  UnixSite site;
  ServerProcess server(unix_only(site.socket_path, {"--staticdir=" + site.www}));
  ASSERT_TRUE(wait_for_unix_server(server, site.socket_path));
  EXPECT_EQ(tcp_listeners_of(server.pid()), 0) << "listens on TCP too";
  auto line = server.wait_for_log_line({"| INFO", "unix socket at " + site.socket_path});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_FALSE(server.wait_for_log_line({"ws://"}, 100ms).has_value()) << server.diagnostics();
}

TEST(UnixSocket, ServesStaticAndCgiWithRemoteAddrUnix) {
  UnixSite site;
  ServerProcess server(
      unix_only(site.socket_path, {"--staticdir=" + site.www, "--cgidir=" + site.cgi}));
  ASSERT_TRUE(wait_for_unix_server(server, site.socket_path));

  PlainHttpRequest page;
  page.target = "/";
  PlainHttpResponse home = plain_http_unix(site.socket_path, page);
  EXPECT_EQ(home.status, 200) << home.describe();
  EXPECT_EQ(home.body, "<p>over a unix socket</p>\n");

  PlainHttpRequest script;
  script.target = "/remote.sh";
  PlainHttpResponse remote = plain_http_unix(site.socket_path, script);
  ASSERT_EQ(remote.status, 200) << remote.describe();
  EXPECT_TRUE(contains(remote.body, "REMOTE_ADDR=unix:\n")) << remote.describe();

  auto line = server.wait_for_log_line({"| ACCESS |", "/remote.sh", "CGI"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "remote"), "unix:") << *line;
}

TEST(UnixSocket, WebSocketUpgradeOverTheUnixSocket) {
  UnixSite site;
  std::string script =
      site.dir.write_script("hello.sh", "echo \"REMOTE_ADDR=$REMOTE_ADDR\"\nexec cat\n");
  ServerProcess server(unix_only(site.socket_path, {script}));
  ASSERT_TRUE(wait_for_unix_server(server, site.socket_path));

  auto connection = PlainHttpConnection::unix_socket(site.socket_path);
  ASSERT_TRUE(connection->send_raw(upgrade_request("localhost", "/chat")));
  std::string pending = connection->read_raw_until("\r\n\r\n", 10s);
  ASSERT_EQ(http_status_of(pending), 101) << pending;
  EXPECT_EQ(http_header(pending, "Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
      << pending;
  pending.erase(0, pending.find("\r\n\r\n") + 4);

  Frame greeting = read_frame(*connection, pending, 10s);
  EXPECT_EQ(greeting.opcode, 1);
  EXPECT_EQ(greeting.payload, "REMOTE_ADDR=unix:");

  ASSERT_TRUE(connection->send_raw(masked_frame(0x1, "hello over unix")));
  Frame echoed = read_frame(*connection, pending, 10s);
  EXPECT_EQ(echoed.opcode, 1);
  EXPECT_EQ(echoed.payload, "hello over unix");

  ASSERT_TRUE(connection->send_raw(masked_frame(0x8, std::string("\x03\xe8", 2))));
  Frame close = read_frame(*connection, pending, 10s);
  EXPECT_EQ(close.opcode, 8);
  EXPECT_EQ(close.payload.substr(0, 2), std::string("\x03\xe8", 2));
  // The server ends the TCP connection after the closing handshake.
  EXPECT_TRUE(connection->wait_closed(5s));
  connection->close();
  EXPECT_TRUE(server.wait_for_log_line({"| ACCESS |", "DISCONNECT"}).has_value())
      << server.diagnostics();
}

TEST(UnixSocket, AlongsideTcpWhenAPortIsGiven) {
  UnixSite site;
  ServerProcess server({"--unixsocket=" + site.socket_path, "--staticdir=" + site.www, "cat"});
  ASSERT_TRUE(wait_for_unix_server(server, site.socket_path));
  PlainHttpResponse tcp = plain_get(server.port(), "/");
  EXPECT_EQ(tcp.status, 200) << tcp.describe();
  PlainHttpRequest page;
  PlainHttpResponse over_unix = plain_http_unix(site.socket_path, page);
  EXPECT_EQ(over_unix.status, 200) << over_unix.describe();
  EXPECT_EQ(over_unix.body, tcp.body);
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_text("tcp still works"));
  EXPECT_TRUE(IsText(client->read(5s), "tcp still works"));
  EXPECT_TRUE(server.wait_for_log_line({"unix socket at " + site.socket_path}).has_value());
  EXPECT_TRUE(server.wait_for_log_line({"ws://"}).has_value()) << server.diagnostics();
}

TEST(UnixSocket, StaleSocketFileIsReplaced) {
  UnixSite site;
  {
    // Bound and closed without unlink: what a crashed server leaves behind.
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, site.socket_path.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);
    ::close(fd);
  }
  ASSERT_TRUE(fs::is_socket(site.socket_path));
  ASSERT_FALSE(unix_socket_answers(site.socket_path));
  ServerProcess server(unix_only(site.socket_path, {"--staticdir=" + site.www}));
  ASSERT_TRUE(wait_for_unix_server(server, site.socket_path));
  PlainHttpRequest page;
  EXPECT_EQ(plain_http_unix(site.socket_path, page).status, 200);
}

TEST(UnixSocket, LiveSocketIsInUseLikeABusyPort) {
  UnixSite site;
  ServerProcess first(unix_only(site.socket_path, {"--staticdir=" + site.www}));
  ASSERT_TRUE(wait_for_unix_server(first, site.socket_path));
  RunResult second = run_to_exit({"--unixsocket=" + site.socket_path, "--staticdir=" + site.www});
  ASSERT_TRUE(second.status.has_value()) << "the second server did not exit";
  EXPECT_TRUE(second.status->exited && second.status->code == 1) << describe(*second.status);
  EXPECT_TRUE(contains(second.err, site.socket_path)) << second.err;
  // websocketd's words, which its own suite and users' scripts look for.
  EXPECT_TRUE(contains(second.err, "address already in use")) << second.err;
  // The first server's socket is untouched and still answers.
  PlainHttpRequest page;
  PlainHttpResponse response = plain_http_unix(site.socket_path, page);
  EXPECT_EQ(response.status, 200) << response.describe();
}

TEST(UnixSocket, NonSocketFileIsAStartupError) {
  UnixSite site;
  site.dir.write_file("ws.sock", "precious data\n");
  RunResult result = run_to_exit({"--unixsocket=" + site.socket_path, "--staticdir=" + site.www});
  ASSERT_TRUE(result.status.has_value()) << "did not exit";
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, site.socket_path)) << result.err;
  EXPECT_EQ(read_file(site.socket_path), "precious data\n") << "the file was touched";
}

TEST(UnixSocket, SocketFileIsRemovedAtExit) {
  UnixSite site;
  ServerProcess server(unix_only(site.socket_path, {"--staticdir=" + site.www}));
  ASSERT_TRUE(wait_for_unix_server(server, site.socket_path));
  server.send_signal(SIGTERM);
  auto status = server.wait_exit(5s);
  ASSERT_TRUE(status.has_value()) << "did not exit on SIGTERM";
  EXPECT_TRUE(status->exited && status->code == 0) << describe(*status);
  EXPECT_FALSE(fs::exists(fs::symlink_status(site.socket_path))) << "socket file left behind";
}

}  // namespace
}  // namespace wsexec_test
