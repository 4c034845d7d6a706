#pragma once
// The first phase of every connection: read a request with limits, then
// either hand a WebSocket upgrade to ws_session or answer plain HTTP.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

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
};

boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              ListenerRole role, ServerState& state,
                                              Worker& worker);

// A connection accepted on --unixsocket (plain HTTP, no TLS).
boost::asio::awaitable<void> serve_unix_connection(
    boost::asio::local::stream_protocol::socket socket, ListenerRole role, ServerState& state,
    Worker& worker);

}  // namespace wsexec
