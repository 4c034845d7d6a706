#pragma once
// The socket under a WebSocket's transport (a bare socket, or the one in a
// Beast basic_stream, which TLS runs over): what a session closes to end a
// wait that nothing else would end (a handshake not finished, a teardown
// whose client keeps its end open, a write stuck behind a peer that does
// not read).
#include <boost/beast/core/basic_stream.hpp>

namespace wsexec {

// A bare socket (or a test's stand-in for one): itself.
template <typename Socket>
auto& socket_of(Socket& socket) {
  return socket;
}
// A Beast basic_stream: the socket in it.
template <typename Protocol, typename Executor, typename RatePolicy>
auto& socket_of(boost::beast::basic_stream<Protocol, Executor, RatePolicy>& stream) {
  return stream.socket();
}

}  // namespace wsexec
