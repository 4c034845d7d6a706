#pragma once
// Socket activation: the listening sockets systemd passes (LISTEN_FDS), read
// through libsystemd, described, and matched to the listeners they replace
// (core/activation_plan has the rule).
#include <string>
#include <vector>

#include "core/activation_plan.hpp"
#include "core/config.hpp"

namespace wsexec {

struct ActivatedSocket {
  int fd = -1;  // close-on-exec (libsystemd sets it); owned until adopted
  PassedRole role = PassedRole::endpoint;
  bool ipv6 = false;        // tcp: the family Asio must be told
  std::string description;  // "tcp [::]:8080", "unix /run/x.sock"
};

// The sockets passed to this process, each with its role; empty when
// systemd passed none (LISTEN_PID is not ours, or unset). Unsets
// LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES, so no program inherits them.
// Throws StartupError when a socket matches no listener (the descriptors
// are closed first).
std::vector<ActivatedSocket> take_activated_sockets(const Config& config);

}  // namespace wsexec
