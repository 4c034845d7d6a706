#pragma once
// Which listener each socket passed by systemd replaces (socket activation,
// LISTEN_FDS). Pure: the server describes the sockets, this decides.
//
// The rule, documented in docs/operations.md and wsexec(1):
//  - a socket named (FileDescriptorName=) "endpoint" or "redirect" takes
//    that role: the WebSocket/HTTP endpoint (--port) or the redirect server
//    (--redirport); "unix" names the --unixsocket listener;
//  - an unnamed socket (or one named otherwise, such as systemd's default,
//    the socket unit's name) is matched by address: a TCP socket on --port
//    is the endpoint, on --redirport the redirect server; a Unix socket at
//    the --unixsocket path is that listener;
//  - a socket that matches nothing, or is not a listening stream socket, is
//    a start-up error naming it: a server that silently ignored a socket
//    would leave its clients waiting forever.
// A listener of the configuration that no passed socket replaces is bound
// as usual.
#include <stdexcept>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace wsexec {

struct PassedSocket {
  enum class Kind { tcp, unix_stream, other };
  std::string name;         // its FileDescriptorName ("unknown" when systemd gave none)
  Kind kind = Kind::other;  // other: not a listening stream socket
  unsigned port = 0;        // tcp
  std::string path;         // unix_stream; empty for an abstract or unnamed socket
  std::string description;  // for messages, e.g. "tcp [::]:8080"
};

enum class PassedRole { endpoint, redirect, unix_socket };

struct ActivationPlan {
  std::vector<PassedRole> roles;  // one per passed socket, in order
  bool has(PassedRole role) const;
};

class ActivationMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ActivationMismatch (one sentence naming the socket and what it
// should have matched) when a socket replaces no listener.
ActivationPlan plan_activation(const std::vector<PassedSocket>& sockets, const Config& config);

}  // namespace wsexec
