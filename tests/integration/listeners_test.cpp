// The listeners and what surrounds them: accept failures (a full descriptor
// table) logged once per episode rather than once per retry, and the ambient
// capability a systemd unit gives the server for a privileged port kept
// from the programs it starts.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

std::size_t lines_containing(const ServerProcess& server, const std::string& fragment) {
  const auto lines = server.log_lines();
  return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(),
                    [&](const std::string& line) { return contains(line, fragment); }));
}

// `program` with its arguments, then the server under test listening on
// 127.0.0.1:port with `server_args`: for wrappers such as prlimit and
// setpriv, which set something up and exec the server in the same process.
ServerOptions wrapped_server(const std::string& program, std::vector<std::string> wrapper_args,
                             std::uint16_t port, const std::vector<std::string>& server_args) {
  ServerOptions options;
  options.program = program;
  options.add_listen_args = false;
  options.port = port;
  options.args = std::move(wrapper_args);
  options.args.push_back(binary_under_test());
  options.args.push_back("--port=" + std::to_string(port));
  options.args.push_back("--address=127.0.0.1");
  options.args.insert(options.args.end(), server_args.begin(), server_args.end());
  return options;
}

TEST(Listeners, AcceptFailuresAreLoggedOncePerEpisodeAndServiceResumes) {
  const std::string prlimit = "/usr/bin/prlimit";
  if (!fs::exists(prlimit)) GTEST_SKIP() << "needs " << prlimit;
  // Low enough that a crowd fills the table, high enough for the server's
  // own descriptors (an epoll, eventfd and timerfd per core) to fit.
  constexpr int kDescriptorLimit = 64;
  constexpr int kCrowd = kDescriptorLimit + 16;
  const std::string limit = std::to_string(kDescriptorLimit);
  ServerProcess server(wrapped_server(prlimit, {"--nofile=" + limit + ":" + limit}, free_port(),
                                      {"--loglevel=info", "cat"}));

  for (std::size_t episode = 1; episode <= 2; ++episode) {
    std::vector<std::unique_ptr<RawConnection>> crowd;
    for (int i = 0; i < kCrowd; ++i) {
      // The kernel completes these handshakes from the listen backlog even
      // while the server cannot accept them.
      crowd.push_back(std::make_unique<RawConnection>("127.0.0.1", server.port()));
    }
    ASSERT_TRUE(
        wait_until([&] { return lines_containing(server, "accept failed") >= episode; }, 5s))
        << "episode " << episode << ": no accept failure logged\n"
        << server.diagnostics();
    // Many retries (one per kAcceptRetryPause) happen meanwhile.
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(lines_containing(server, "accept failed"), episode) << server.diagnostics();

    crowd.clear();
    EXPECT_TRUE(
        wait_until([&] { return lines_containing(server, "accepting again") >= episode; }, 5s))
        << "episode " << episode << ": no recovery logged\n"
        << server.diagnostics();
    auto client = connect_to(server);
    ASSERT_TRUE(client->send_text("served again"));
    EXPECT_TRUE(IsText(client->read(5s), "served again")) << server.diagnostics();
  }
  EXPECT_EQ(lines_containing(server, "accept failed"), 2u) << server.diagnostics();
  EXPECT_EQ(lines_containing(server, "accepting again"), 2u) << server.diagnostics();
}

// A port below 1024 that is free on 127.0.0.1 now (tried from the top).
std::uint16_t free_privileged_port() {
  for (std::uint16_t port = 1023; port >= 900; --port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    if (bound) return port;
  }
  return 0;
}

// What systemd's AmbientCapabilities=CAP_NET_BIND_SERVICE does for an
// unprivileged server: the server binds a privileged port, and the
// programs it starts get no capability at all (an ambient capability would
// survive their exec).
TEST(Listeners, ProgramsDoNotInheritTheCapabilityToBindPrivilegedPorts) {
  const std::string setpriv = "/usr/bin/setpriv";
  if (::geteuid() != 0 || !fs::exists(setpriv)) {
    GTEST_SKIP() << "needs root and " << setpriv << " to give the server an ambient capability";
  }
  const std::uint16_t port = free_privileged_port();
  ASSERT_NE(port, 0) << "no free port below 1024 on 127.0.0.1";
  ServerProcess server(
      wrapped_server(setpriv,
                     {"--reuid=65534", "--regid=65534", "--clear-groups",
                      "--inh-caps=+net_bind_service", "--ambient-caps=+net_bind_service"},
                     port, {"grep", "^Cap[A-Z][a-z]*:", "/proc/self/status"}));

  auto client = connect_to(server);
  const std::vector<std::string> lines = client->read_until_end(5s).texts();
  for (const std::string& line : lines) {
    if (contains(line, "CapAmb") || contains(line, "CapPrm") || contains(line, "CapEff")) {
      EXPECT_TRUE(contains(line, "0000000000000000")) << line;
    }
  }
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& line) { return contains(line, "CapAmb"); }))
      << "the program's capabilities were not received\n"
      << server.diagnostics();
}

}  // namespace
}  // namespace wsexec_test
