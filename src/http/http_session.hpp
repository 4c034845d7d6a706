#pragma once
// The first phase of every connection: read a request with limits, then
// either hand a WebSocket upgrade to ws_session or answer plain HTTP.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <cstdint>

#include "server/server_state.hpp"
#include "server/worker.hpp"

namespace wsexec {

class TlsContextStore;

// What a listener serves.
struct ListenerRole {
  enum class Kind {
    endpoint,  // the WebSocket endpoint, static files, CGI and the dev console
    redirect,  // --redirport: every request is sent to the canonical URL
  };
  Kind kind = Kind::endpoint;
  TlsContextStore* tls = nullptr;  // non-null: a TLS handshake comes first
  // What every connection accepted on a TCP listener shares with it, read
  // once rather than asked of each connection (a system call apiece): its
  // port, and TCP_NODELAY, which Linux copies from the listening socket to
  // each socket it accepts. 0 and false: ask or set per connection.
  std::uint16_t local_port = 0;
  bool accepts_with_nodelay = false;
};

// `remote`: the client's address, as accept() gave it.
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              boost::asio::ip::tcp::endpoint remote,
                                              ListenerRole role, ServerState& state,
                                              Worker& worker);

// A connection accepted on --unixsocket (plain HTTP, no TLS).
boost::asio::awaitable<void> serve_unix_connection(
    boost::asio::local::stream_protocol::socket socket, ListenerRole role, ServerState& state,
    Worker& worker);

}  // namespace wsexec
