#pragma once
// Every socket the configuration asks the server to listen on, bound before
// anything is accepted, so that a port in use ends start-up (exit 1) rather
// than leaving a server that half works. Each TCP listener carries the role
// its connections get.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <deque>
#include <optional>

#include "core/config.hpp"
#include "http/http_session.hpp"

namespace wsexec {

struct TcpListener {
  boost::asio::ip::tcp::acceptor acceptor;
  ListenerRole role;
};

struct Listeners {
  std::deque<TcpListener> tcp;  // deque: accept loops hold references into it
  std::optional<boost::asio::local::stream_protocol::acceptor> unix_socket;  // --unixsocket
};

// Binds --unixsocket, then --port (with `tls`, if given, as a TLS endpoint)
// and --redirport on each --address or on all interfaces, all on `context`,
// and logs a "Starting ..." line for each. Throws StartupError in
// websocketd's words, for example "can't start server: listen tcp
// 127.0.0.1:8080: bind: address already in use".
Listeners bind_listeners(const Config& config, TlsContextStore* tls,
                         boost::asio::io_context& context);

}  // namespace wsexec
