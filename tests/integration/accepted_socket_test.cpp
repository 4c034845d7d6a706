// The sockets the server accepts carry TCP_NODELAY (a small message is sent
// at once, not held back by Nagle's algorithm for the client's ACK). It is
// set once on the listening socket, which Linux copies to each accepted
// one, not per connection (ListenerRole): this checks the copy, on the
// server's own descriptor.
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// A copy of the server's descriptor for the TCP connection whose peer port
// is `client_port`, or -1.
int servers_socket_for(pid_t server, std::uint16_t client_port) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, server, 0));
  if (pidfd < 0) return -1;
  int found = -1;
  const std::string directory = "/proc/" + std::to_string(server) + "/fd";
  if (DIR* listing = ::opendir(directory.c_str())) {
    while (const dirent* entry = ::readdir(listing)) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      const int copy =
          static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, std::stoi(entry->d_name), 0));
      if (copy < 0) continue;
      sockaddr_storage peer{};
      socklen_t size = sizeof peer;
      const bool match = ::getpeername(copy, reinterpret_cast<sockaddr*>(&peer), &size) == 0 &&
                         peer.ss_family == AF_INET &&
                         ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port) == client_port;
      if (match && found < 0) {
        found = copy;
      } else {
        ::close(copy);
      }
    }
    ::closedir(listing);
  }
  ::close(pidfd);
  return found;
}

TEST(AcceptedSocket, HasNoDelaySetWithoutAskingPerConnection) {
  ServerProcess server({"cat"});
  auto client = connect_to(server);
  client->send_text("hello");
  const WsEvent echo = client->read(5s);
  ASSERT_EQ(echo.kind, EventKind::text) << describe(echo) << server.diagnostics();
  const int socket = servers_socket_for(server.pid(), client->local_port());
  ASSERT_GE(socket, 0) << "no descriptor of the server's is this client's connection";
  int nodelay = 0;
  socklen_t size = sizeof nodelay;
  ASSERT_EQ(::getsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size), 0);
  ::close(socket);
  EXPECT_EQ(nodelay, 1);
}

}  // namespace
}  // namespace wsexec_test
