#include "server/activation.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "server/startup_error.hpp"

namespace wsexec {
namespace {

// Fills in what plan_activation needs to know about descriptor `fd`.
PassedSocket describe(int fd, const char* name, bool& ipv6) {
  PassedSocket socket;
  socket.name = name != nullptr ? name : "unknown";
  socket.description = "descriptor " + std::to_string(fd);
  if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) return socket;

  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return socket;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    socket.kind = PassedSocket::Kind::tcp;
    socket.port = ntohs(in.sin_port);
    socket.description = std::string("tcp ") + text + ":" + std::to_string(socket.port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    socket.kind = PassedSocket::Kind::tcp;
    socket.port = ntohs(in6.sin6_port);
    socket.description = std::string("tcp [") + text + "]:" + std::to_string(socket.port);
    ipv6 = true;
  } else if (address.ss_family == AF_UNIX) {
    const auto& un = reinterpret_cast<const sockaddr_un&>(address);
    const std::size_t path_bytes =
        length > offsetof(sockaddr_un, sun_path) ? length - offsetof(sockaddr_un, sun_path) : 0;
    // An abstract socket starts with a NUL and has no path we could match.
    if (path_bytes > 0 && un.sun_path[0] != '\0') {
      socket.path.assign(un.sun_path, ::strnlen(un.sun_path, path_bytes));
    }
    socket.kind = PassedSocket::Kind::unix_stream;
    socket.description = "unix " + (socket.path.empty() ? "(abstract)" : socket.path);
  }
  return socket;
}

}  // namespace

std::vector<ActivatedSocket> take_activated_sockets(const Config& config) {
  char** names = nullptr;
  const int count = sd_listen_fds_with_names(/*unset_environment=*/1, &names);
  if (count < 0) {
    throw StartupError(std::string("can't start server: socket activation (LISTEN_FDS): ") +
                       std::strerror(-count));
  }
  std::vector<ActivatedSocket> activated;
  std::vector<PassedSocket> described;
  for (int i = 0; i < count; ++i) {
    ActivatedSocket socket;
    socket.fd = SD_LISTEN_FDS_START + i;
    described.push_back(describe(socket.fd, names != nullptr ? names[i] : nullptr, socket.ipv6));
    socket.description = described.back().description;
    activated.push_back(socket);
  }
  if (names != nullptr) {
    for (int i = 0; i < count; ++i) std::free(names[i]);
    std::free(names);
  }
  try {
    const ActivationPlan plan = plan_activation(described, config);
    for (std::size_t i = 0; i < activated.size(); ++i) activated[i].role = plan.roles[i];
  } catch (const ActivationMismatch& e) {
    for (const auto& socket : activated) ::close(socket.fd);
    throw StartupError(std::string("can't start server: ") + e.what());
  }
  return activated;
}

}  // namespace wsexec
