#include "core/activation_plan.hpp"

#include <algorithm>

namespace wsexec {
namespace {

std::string named(const PassedSocket& socket) {
  return "socket passed by systemd (" + socket.description + ", named \"" + socket.name + "\")";
}

[[noreturn]] void mismatch(const PassedSocket& socket, const std::string& why) {
  throw ActivationMismatch(named(socket) + " " + why);
}

PassedRole tcp_role(const PassedSocket& socket, const Config& config) {
  if (socket.name == "endpoint") return PassedRole::endpoint;
  if (socket.name == "redirect") return PassedRole::redirect;
  if (!config.unix_socket_only && socket.port == config.port) return PassedRole::endpoint;
  if (config.redirect_port != 0 && socket.port == config.redirect_port) {
    return PassedRole::redirect;
  }
  const std::string ports =
      config.unix_socket_only
          ? "no --port is given"
          : "--port is " + std::to_string(config.port) +
                (config.redirect_port != 0
                     ? " and --redirport " + std::to_string(config.redirect_port)
                     : "");
  mismatch(socket, "matches no listener: its port is " + std::to_string(socket.port) + " but " +
                       ports + " (name it with FileDescriptorName=endpoint or redirect)");
}

PassedRole unix_role(const PassedSocket& socket, const Config& config) {
  if (config.unix_socket.empty()) {
    mismatch(socket, "is a Unix socket, but no --unixsocket=PATH is given");
  }
  if (socket.name != "unix" && socket.path != config.unix_socket) {
    mismatch(socket, "matches no listener: its path is not --unixsocket " + config.unix_socket +
                         " (name it with FileDescriptorName=unix)");
  }
  return PassedRole::unix_socket;
}

}  // namespace

bool ActivationPlan::has(PassedRole role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

ActivationPlan plan_activation(const std::vector<PassedSocket>& sockets, const Config& config) {
  ActivationPlan plan;
  for (const auto& socket : sockets) {
    switch (socket.kind) {
      case PassedSocket::Kind::tcp:
        plan.roles.push_back(tcp_role(socket, config));
        break;
      case PassedSocket::Kind::unix_stream:
        // The server has one Unix listener; a second would have no role.
        if (plan.has(PassedRole::unix_socket)) {
          mismatch(socket, "is a second Unix socket; wsexec listens on one (--unixsocket)");
        }
        plan.roles.push_back(unix_role(socket, config));
        break;
      case PassedSocket::Kind::other:
        mismatch(socket, "is not a listening stream socket (use ListenStream= in the socket unit)");
    }
  }
  return plan;
}

}  // namespace wsexec
