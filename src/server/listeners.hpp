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
#include "server/activation.hpp"

namespace wsexec {

struct TcpListener {
  boost::asio::ip::tcp::acceptor acceptor;
  ListenerRole role;
};

struct Listeners {
  std::deque<TcpListener> tcp;  // deque: accept loops hold references into it
  std::optional<boost::asio::local::stream_protocol::acceptor> unix_socket;  // --unixsocket
  // The Unix socket came from systemd, whose file it is: not ours to unlink.
  bool unix_socket_from_systemd = false;
};

// Binds --unixsocket, then --port (with `tls`, if given, as a TLS endpoint)
// and --redirport on each --address or on all interfaces, all on `context`,
// and logs a "Starting ..." line for each. A listener whose role one of the
// `activated` sockets (from systemd) has is not bound: those sockets are
// adopted instead. Throws StartupError in websocketd's words, for example
// "can't start server: listen tcp 127.0.0.1:8080: bind: address already in
// use".
Listeners bind_listeners(const Config& config, TlsContextStore* tls,
                         boost::asio::io_context& context,
                         const std::vector<ActivatedSocket>& activated = {});

}  // namespace wsexec
