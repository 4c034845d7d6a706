// What every hostile-client test checks once the attack is over: the server
// still serves an ordinary client, and what it held for the attackers
// (descriptors, children, memory) is given back.
#pragma once

#include <string>

#include "harness.hpp"

namespace wsexec_test {

// An ordinary client gets its echo from a cat-like endpoint at `target`.
inline testing::AssertionResult serves_another_client(const ServerProcess& server,
                                                      const std::string& target = "/") {
  HandshakeResult handshake = WsClient::handshake(client_options(server, target));
  if (!handshake.client) {
    return testing::AssertionFailure() << "upgrade of " << target << " refused: HTTP "
                                       << handshake.http_status << " " << handshake.error;
  }
  const std::string message = "still served";
  if (!handshake.client->send_text(message)) {
    return testing::AssertionFailure() << "could not send to " << target;
  }
  return IsText(handshake.client->read(5s), message);
}

// The server's descriptor count comes back to `idle` before the deadline.
inline testing::AssertionResult descriptors_return_to(const ServerProcess& server, int idle,
                                                      Millis timeout = 5000ms) {
  if (wait_until([&] { return open_descriptor_count(server.pid()) <= idle; }, timeout, 50ms)) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "the server holds " << open_descriptor_count(server.pid())
                                     << " descriptors, " << idle << " when idle";
}

// Every child of the server has ended and been reaped before the deadline.
inline testing::AssertionResult children_all_gone(const ServerProcess& server,
                                                  Millis timeout = 5000ms) {
  if (wait_until([&] { return children_of(server.pid()).empty(); }, timeout, 50ms)) {
    return testing::AssertionSuccess();
  }
  int zombies = 0;
  for (const ChildProcess& child : children_of(server.pid())) zombies += child.state == 'Z';
  return testing::AssertionFailure()
         << children_of(server.pid()).size() << " children left, of them zombies: " << zombies;
}

}  // namespace wsexec_test
