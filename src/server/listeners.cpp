#include "server/listeners.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/ip/v6_only.hpp>
#include <cctype>
#include <string>

#include "server/log.hpp"
#include "server/startup_error.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using local = asio::local::stream_protocol;
using boost::system::error_code;

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

// strerror says "Address already in use"; Go, and so websocketd, says
// "address already in use", and scripts grep for that.
std::string lower_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string bind_failure(const std::string& network, const std::string& address,
                         const error_code& ec) {
  return "can't start server: listen " + network + " " + address +
         ": bind: " + lower_first(ec.message());
}

std::string local_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

tcp::acceptor bind_tcp(asio::io_context& context, const tcp::endpoint& endpoint, bool dual_stack) {
  tcp::acceptor acceptor(context);
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && dual_stack) acceptor.set_option(asio::ip::v6_only(false), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw StartupError(bind_failure("tcp", endpoint_text(endpoint), ec));
  return acceptor;
}

bool machine_has_ipv6(asio::io_context& context) {
  tcp::acceptor probe(context);
  error_code ec;
  probe.open(tcp::v6(), ec);
  return !ec;
}

// Binds `port` on every --address (or on all interfaces) for `role`.
void bind_port(const Config& config, unsigned port_number, ListenerRole role,
               const std::string& announcement, asio::io_context& context, Listeners& listeners) {
  const auto port = static_cast<unsigned short>(port_number);
  if (config.addresses.empty()) {
    // All interfaces: one dual-stack socket, or IPv4 alone where the machine
    // has no IPv6.
    try {
      listeners.tcp.push_back({bind_tcp(context, tcp::endpoint(tcp::v6(), port), true), role});
    } catch (const StartupError&) {
      if (machine_has_ipv6(context)) throw;  // so the failure is real: the port is in use
      listeners.tcp.push_back({bind_tcp(context, tcp::endpoint(tcp::v4(), port), false), role});
    }
    log::info("server", announcement + local_host_name() + ":" + std::to_string(port) + "/");
    return;
  }
  tcp::resolver resolver(context);
  for (const auto& address : config.addresses) {
    error_code ec;
    const auto results = resolver.resolve(
        address, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      throw StartupError("can't start server: --address " + address + ": " + ec.message());
    }
    const tcp::endpoint endpoint = results.begin()->endpoint();
    listeners.tcp.push_back({bind_tcp(context, endpoint, false), role});
    log::info("server", announcement + endpoint_text(endpoint) + "/");
  }
}

// A socket file left by a server that died is replaced; one that a live
// server still answers on is in use, as a TCP port would be.
void clear_unix_socket_path(const std::string& path, asio::io_context& context) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) return;
  if (!S_ISSOCK(info.st_mode)) {
    throw StartupError("--unixsocket " + path + " exists and is not a socket");
  }
  local::socket probe(context);
  error_code ec;
  probe.connect(local::endpoint(path), ec);
  if (!ec) {
    throw StartupError(bind_failure("unix", path, make_error_code(asio::error::address_in_use)));
  }
  ::unlink(path.c_str());
}

local::acceptor bind_unix(const std::string& path, asio::io_context& context) {
  clear_unix_socket_path(path, context);
  local::acceptor acceptor(context);
  error_code ec;
  acceptor.open(local(), ec);
  if (!ec) acceptor.bind(local::endpoint(path), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw StartupError(bind_failure("unix", path, ec));
  log::info("server", "Starting WebSocket server   : unix socket at " + path);
  return acceptor;
}

// Takes over the sockets systemd passed; on failure closes those not yet
// taken over, so none leaks into a failed start-up.
void adopt_activated(const std::vector<ActivatedSocket>& activated, TlsContextStore* tls,
                     asio::io_context& context, Listeners& listeners) {
  for (std::size_t i = 0; i < activated.size(); ++i) {
    const ActivatedSocket& socket = activated[i];
    error_code ec;
    if (socket.role == PassedRole::unix_socket) {
      listeners.unix_socket.emplace(context);
      listeners.unix_socket->assign(local(), socket.fd, ec);
      listeners.unix_socket_from_systemd = true;
    } else {
      const bool endpoint = socket.role == PassedRole::endpoint;
      tcp::acceptor acceptor(context);
      acceptor.assign(socket.ipv6 ? tcp::v6() : tcp::v4(), socket.fd, ec);
      if (!ec) {
        listeners.tcp.push_back(
            {std::move(acceptor), endpoint ? ListenerRole{ListenerRole::Kind::endpoint, tls}
                                           : ListenerRole{ListenerRole::Kind::redirect, nullptr}});
      }
    }
    if (ec) {
      for (std::size_t rest = i; rest < activated.size(); ++rest) ::close(activated[rest].fd);
      throw StartupError("can't start server: socket passed by systemd (" + socket.description +
                         "): " + ec.message());
    }
    log::info("server", "Listening on a socket from systemd: " + socket.description);
  }
}

bool passed(const std::vector<ActivatedSocket>& activated, PassedRole role) {
  for (const auto& socket : activated) {
    if (socket.role == role) return true;
  }
  return false;
}

Listeners bind_each(const Config& config, TlsContextStore* tls, asio::io_context& context,
                    const std::vector<ActivatedSocket>& activated) {
  Listeners listeners;
  adopt_activated(activated, tls, context, listeners);
  if (!config.unix_socket.empty() && !passed(activated, PassedRole::unix_socket)) {
    listeners.unix_socket = bind_unix(config.unix_socket, context);
  }
  if (config.unix_socket_only) return listeners;
  if (!passed(activated, PassedRole::endpoint)) {
    bind_port(config, config.port, ListenerRole{ListenerRole::Kind::endpoint, tls},
              std::string("Starting WebSocket server   : ") + (tls ? "wss://" : "ws://"), context,
              listeners);
  }
  if (config.redirect_port != 0 && !passed(activated, PassedRole::redirect)) {
    bind_port(config, config.redirect_port, ListenerRole{ListenerRole::Kind::redirect, nullptr},
              "Starting redirect server    : http://", context, listeners);
  }
  return listeners;
}

// What each TCP listener's connections share with it (ListenerRole): its
// port, and TCP_NODELAY set once on it (Linux copies it to every accepted
// socket; a listener that refuses it leaves the setting to each connection).
void note_shared_socket_facts(TcpListener& listener) {
  error_code ec;
  const auto local = listener.acceptor.local_endpoint(ec);
  if (!ec) listener.role.local_port = local.port();
  listener.acceptor.set_option(tcp::no_delay(true), ec);
  listener.role.accepts_with_nodelay = !ec;
}

}  // namespace

Listeners bind_listeners(const Config& config, TlsContextStore* tls, asio::io_context& context,
                         const std::vector<ActivatedSocket>& activated) {
  Listeners listeners = bind_each(config, tls, context, activated);
  for (auto& listener : listeners.tcp) note_shared_socket_facts(listener);
  return listeners;
}

}  // namespace wsexec
