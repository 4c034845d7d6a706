// Socket activation (issue 15, item 2): systemd-socket-activate binds the
// sockets, waits for the first connection and execs wsexec with them
// (LISTEN_FDS); wsexec must serve on those and bind nothing itself. The
// rule for matching a socket to a listener is core/activation_plan's.
#include <filesystem>
#include <string>
#include <vector>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kActivator = "/usr/bin/systemd-socket-activate";

// wsexec under systemd-socket-activate, which listens on every `listen`
// address (TCP "127.0.0.1:P" or a Unix path) with the given --fdname list,
// and starts wsexec with `args` once a client connects. Only PATH passes to
// wsexec's environment (the activator passes nothing else).
ServerOptions activated(std::uint16_t first_port, const std::vector<std::string>& listen,
                        const std::string& fdnames, const std::vector<std::string>& args) {
  ServerOptions options;
  options.program = kActivator;
  options.add_listen_args = false;
  options.port = first_port;  // the activator itself listens there
  for (const auto& address : listen) options.args.push_back("--listen=" + address);
  if (!fdnames.empty()) options.args.push_back("--fdname=" + fdnames);
  options.args.push_back("--setenv=PATH");
  options.args.push_back("--");
  options.args.push_back(binary_under_test());
  options.args.insert(options.args.end(), args.begin(), args.end());
  return options;
}

bool activator_available() {
  return fs::exists(kActivator);
}

std::string loopback(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

TEST(SocketActivation, OneUnnamedTcpSocketOnPortIsTheEndpoint) {
  if (!activator_available()) GTEST_SKIP() << kActivator << " is not installed";
  const std::uint16_t port = free_port();
  // wsexec would bind [::]:port itself without activation, and fail: the
  // activator holds 127.0.0.1:port.
  ServerProcess server(
      activated(port, {loopback(port)}, "", {"--port=" + std::to_string(port), "cat"}));
  auto client = connect_to(server);  // this connection wakes wsexec up
  ASSERT_TRUE(client->send_text("activated", 10s));
  EXPECT_TRUE(IsText(client->read(10s), "activated")) << server.diagnostics();
  EXPECT_TRUE(server
                  .wait_for_log_line(
                      {"| INFO", "Listening on a socket from systemd: tcp " + loopback(port)})
                  .has_value())
      << server.diagnostics();
  EXPECT_FALSE(server.wait_for_log_line({"Starting WebSocket server"}, 100ms).has_value())
      << "bound a socket of its own\n"
      << server.diagnostics();
}

TEST(SocketActivation, SeveralSocketsTcpRedirectAndUnixEachTakeTheirListener) {
  if (!activator_available()) GTEST_SKIP() << kActivator << " is not installed";
  TempDir dir;
  dir.write_file("index.html", "static over an activated socket\n");
  const std::string socket_path = dir.file("ws.sock");
  const std::uint16_t port = free_port();
  const std::uint16_t redirect_port = free_port();
  // The endpoint by name (its port is not --port), the redirect by port,
  // the Unix socket by path.
  ServerProcess server(activated(
      port, {loopback(port), loopback(redirect_port), socket_path}, "endpoint:unknown:unknown",
      {"--port=1", "--redirport=" + std::to_string(redirect_port), "--unixsocket=" + socket_path,
       "--staticdir=" + dir.path(), "cat"}));
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_text("over tcp", 10s));
  EXPECT_TRUE(IsText(client->read(10s), "over tcp")) << server.diagnostics();

  auto redirect = PlainHttpConnection::tcp("127.0.0.1", redirect_port);
  redirect->set_default_host("localhost:" + std::to_string(redirect_port));
  PlainHttpRequest request;
  request.target = "/index.html";
  const PlainHttpResponse moved = redirect->request(request);
  EXPECT_EQ(moved.status, 301) << moved.describe();

  auto over_unix = PlainHttpConnection::unix_socket(socket_path);
  over_unix->set_default_host("localhost");
  const PlainHttpResponse page = over_unix->request(request);
  EXPECT_EQ(page.status, 200) << page.describe();
  EXPECT_EQ(page.body, "static over an activated socket\n");

  for (const std::string& described :
       {"tcp " + loopback(port), "tcp " + loopback(redirect_port), "unix " + socket_path}) {
    EXPECT_TRUE(
        server.wait_for_log_line({"Listening on a socket from systemd: " + described}).has_value())
        << described << "\n"
        << server.diagnostics();
  }
  client.reset();
  over_unix.reset();
  redirect.reset();
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_exit(10s).has_value()) << server.diagnostics();
  // The socket file is systemd's (here the activator's): not ours to remove.
  EXPECT_TRUE(fs::is_socket(socket_path));
}

TEST(SocketActivation, ASocketThatMatchesNoListenerIsAStartupErrorNamingIt) {
  if (!activator_available()) GTEST_SKIP() << kActivator << " is not installed";
  const std::uint16_t port = free_port();
  const std::uint16_t other_port = free_port();
  ServerProcess server(
      activated(port, {loopback(port)}, "", {"--port=" + std::to_string(other_port), "cat"}));
  RawConnection wake_up("127.0.0.1", port);
  const auto status = server.wait_exit(10s);
  ASSERT_TRUE(status.has_value()) << server.diagnostics();
  EXPECT_TRUE(status->exited && status->code == 1) << describe(*status);
  const std::string message = server.error_output();
  EXPECT_TRUE(contains(message, "tcp " + loopback(port))) << message;
  EXPECT_TRUE(contains(message, "--port is " + std::to_string(other_port))) << message;
}

}  // namespace
}  // namespace wsexec_test
