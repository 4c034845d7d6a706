#include "server/server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <optional>
#include <thread>

#include "http/http_session.hpp"
#include "server/log.hpp"
#include "process/spawner.hpp"
#include "server/tls_context.hpp"
#include "server/worker.hpp"
#include "core/limits.hpp"
#include "core/worker_choice.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
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

std::string local_host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::size_t worker_count() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerState& state_in)
      : state(state_in), workers(worker_count()), spawner(workers.size()) {
    state.spawner = &spawner;
  }
  ~Impl() { state.spawner = nullptr; }

  ServerState& state;
  std::deque<Worker> workers;  // deque: Workers are neither copied nor moved
  asio::io_context control{1};  // signals and the stop deadline, on the main thread
  struct Listener {
    tcp::acceptor acceptor;  // lives on workers[0]
    ListenerRole role;
  };
  std::deque<Listener> listeners;  // deque: accept loops hold references
  std::optional<asio::local::stream_protocol::acceptor> unix_listener;  // --unixsocket
  std::optional<TlsContextStore> tls;
  // Last, so it is joined first: its completions go to the workers' queues.
  Spawner spawner;

  // The worker for a connection just accepted on workers[0]: see
  // choose_worker().
  Worker& pick_worker() {
    loads.clear();
    for (const auto& worker : workers) loads.push_back(worker.load());
    return workers[choose_worker(loads)];
  }
  std::vector<std::size_t> loads;  // pick_worker's, kept to avoid an allocation per connection

  void bind(const tcp::endpoint& endpoint, bool dual_stack, ListenerRole role) {
    tcp::acceptor acceptor(workers[0].context());
    error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec && dual_stack) acceptor.set_option(asio::ip::v6_only(false), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      // websocketd's words, so scripts that grep for them keep working.
      throw StartupError("can't start server: listen tcp " + endpoint_text(endpoint) +
                         ": bind: " + lower_first(ec.message()));
    }
    listeners.push_back({std::move(acceptor), role});
  }

  // Binds `port` on every --address (or on all interfaces) for `role`.
  void listen_on(unsigned port_number, ListenerRole role, const std::string& announcement) {
    const auto port = static_cast<unsigned short>(port_number);
    if (state.config.addresses.empty()) {
      // All interfaces: one dual-stack socket, or IPv4 alone where the
      // machine has no IPv6.
      try {
        bind(tcp::endpoint(tcp::v6(), port), /*dual_stack=*/true, role);
      } catch (const StartupError&) {
        error_code ec;
        tcp::acceptor probe(workers[0].context());
        probe.open(tcp::v6(), ec);
        if (!ec) throw;  // IPv6 works, so the failure is real (port in use)
        bind(tcp::endpoint(tcp::v4(), port), false, role);
      }
      log::info("server", announcement + local_host_name() + ":" + std::to_string(port) + "/");
      return;
    }
    tcp::resolver resolver(workers[0].context());
    for (const auto& address : state.config.addresses) {
      error_code ec;
      const auto results = resolver.resolve(
          address, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service,
          ec);
      if (ec || results.empty()) {
        throw StartupError("can't start server: --address " + address + ": " + ec.message());
      }
      const tcp::endpoint endpoint = results.begin()->endpoint();
      bind(endpoint, false, role);
      log::info("server", announcement + endpoint_text(endpoint) + "/");
    }
  }

  // Reads and checks the TLS files before anything listens.
  void prepare_tls() {
    if (!state.config.tls) return;
    TlsFiles files{state.config.tls_certificate, state.config.tls_key,
                   state.config.tls_client_ca};
    std::string warning;
    try {
      auto context = make_tls_context(files, warning);
      tls.emplace(std::move(files), std::move(context));
    } catch (const TlsSetupError& e) {
      throw StartupError(e.what());
    }
    if (!warning.empty()) log::error("server", "warning: " + warning);
  }

  // --unixsocket: a socket file left by a server that died is replaced; one
  // that a live server still answers on is an error.
  void listen_unix(const std::string& path) {
    using local = asio::local::stream_protocol;
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0) {
      if (!S_ISSOCK(info.st_mode)) {
        throw StartupError("--unixsocket " + path + " exists and is not a socket");
      }
      local::socket probe(workers[0].context());
      error_code ec;
      probe.connect(local::endpoint(path), ec);
      if (!ec) throw StartupError("--unixsocket " + path + ": another server is listening there");
      ::unlink(path.c_str());
    }
    local::acceptor acceptor(workers[0].context());
    error_code ec;
    acceptor.open(local(), ec);
    if (!ec) acceptor.bind(local::endpoint(path), ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw StartupError("can't start server: listen unix " + path + ": bind: " +
                         lower_first(ec.message()));
    }
    unix_listener.emplace(std::move(acceptor));
    log::info("server", "Starting WebSocket server   : unix socket at " + path);
  }

  void listen() {
    prepare_tls();
    if (!state.config.unix_socket.empty()) listen_unix(state.config.unix_socket);
    if (state.config.unix_socket_only) return;
    ListenerRole endpoint{ListenerRole::Kind::endpoint, tls ? &*tls : nullptr};
    listen_on(state.config.port, endpoint,
              std::string("Starting WebSocket server   : ") + (tls ? "wss://" : "ws://"));
    if (state.config.redirect_port != 0) {
      listen_on(state.config.redirect_port, ListenerRole{ListenerRole::Kind::redirect, nullptr},
                "Starting redirect server    : http://");
    }
  }

  // SIGHUP: new certificates for new connections; open ones keep theirs.
  void reload() {
    if (!tls) {
      log::info("server", "SIGHUP: no TLS certificate to reload");
      return;
    }
    std::string warning;
    try {
      tls->reload(warning);
      log::info("server", "SIGHUP: reloaded the TLS certificate, key and CA");
      if (!warning.empty()) log::error("server", "warning: " + warning);
    } catch (const TlsSetupError& e) {
      log::error("server", std::string("SIGHUP: keeping the old TLS certificate: ") + e.what());
    }
  }

  // Accepts on `acceptor` (on workers[0]) until it is closed, and hands each
  // connection to the worker pick_worker() names, where `serve(socket,
  // worker)` runs it.
  template <typename Acceptor, typename Serve>
  asio::awaitable<void> accept_loop(Acceptor& acceptor, Serve serve) {
    while (true) {
      error_code ec;
      auto socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // EMFILE and friends: say so and pause briefly rather than spin.
        log::error("server", "accept failed: " + ec.message());
        asio::steady_timer pause(acceptor.get_executor(), limits::kAcceptRetryPause);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      Worker& worker = pick_worker();
      if (&worker != &workers[0] && !move_to(worker, socket)) continue;
      worker.hand_over();
      asio::co_spawn(worker.context(), arrive_then(worker, serve(std::move(socket), worker)),
                     asio::detached);
    }
  }

  // Makes `socket` (accepted on workers[0]) a socket of `worker`: the
  // descriptor moves over. False, with the descriptor closed and the reason
  // logged, if it could not (the new epoll may refuse it: ENOMEM, ENOSPC).
  template <typename Socket>
  static bool move_to(Worker& worker, Socket& socket) {
    error_code ec;
    Socket moved(worker.context());
    const auto protocol = socket.local_endpoint(ec).protocol();
    int fd = -1;  // ours alone between release() and assign()
    if (!ec) fd = socket.release(ec);
    if (!ec) moved.assign(protocol, fd, ec);
    if (ec) {
      if (fd >= 0) ::close(fd);
      log::error("server", "cannot hand a connection to a worker: " + ec.message());
      return false;
    }
    socket = std::move(moved);
    return true;
  }

  // Runs `connection` on `worker`, which counts it as arrived first.
  static asio::awaitable<void> arrive_then(Worker& worker, asio::awaitable<void> connection) {
    worker.arrived();
    co_await std::move(connection);
  }

  void start_accepting() {
    for (auto& listener : listeners) {
      asio::co_spawn(workers[0].context(),
                     accept_loop(listener.acceptor,
                                 [this, role = listener.role](tcp::socket socket, Worker& worker) {
                                   return serve_connection(std::move(socket), role, state, worker);
                                 }),
                     asio::detached);
    }
    if (unix_listener) {
      asio::co_spawn(
          workers[0].context(),
          accept_loop(*unix_listener,
                      [this](asio::local::stream_protocol::socket socket, Worker& worker) {
                        return serve_unix_connection(std::move(socket), ListenerRole{}, state,
                                                     worker);
                      }),
          asio::detached);
    }
  }

  void begin_stop(std::vector<asio::executor_work_guard<asio::io_context::executor_type>>& guards,
                  asio::steady_timer& deadline) {
    state.stopping = true;
    log::info("server", "Shutting down: closing sessions and ending children");
    asio::post(workers[0].context(), [this] {
      error_code ignored;  // closing cancels the accept loops
      for (auto& listener : listeners) listener.acceptor.close(ignored);
      if (unix_listener) unix_listener->close(ignored);
    });
    for (auto& worker : workers) {
      asio::post(worker.context(), [&worker] { worker.stop_all(); });
    }
    guards.clear();  // each worker's run() returns once its sessions are gone
    deadline.expires_after(limits::kStopDeadline);
    deadline.async_wait([this](error_code ec) {
      if (ec) return;  // every worker finished in time
      log::error("server", "sessions still open after the stop deadline; ending them by force");
      for (auto& worker : workers) worker.context().stop();
    });
  }

  int run() {
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& worker : workers) guards.push_back(asio::make_work_guard(worker.context()));
    start_accepting();

    asio::signal_set signals(control, SIGINT, SIGTERM, SIGHUP);
    asio::steady_timer deadline(control);
    bool stopping = false;
    std::function<void(error_code, int)> on_signal = [&](error_code ec, int signal_number) {
      if (ec) return;
      if (signal_number == SIGHUP) {
        reload();
      } else if (stopping) {  // a second signal: stop waiting for the ladder
        for (auto& worker : workers) worker.context().stop();
      } else {
        stopping = true;
        begin_stop(guards, deadline);
      }
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);

    std::atomic<std::size_t> running{workers.size()};
    std::vector<std::thread> threads;
    for (auto& worker : workers) {
      threads.emplace_back([this, &worker, &running, &signals, &deadline] {
        worker.context().run();
        if (running.fetch_sub(1) == 1) {
          // The last worker out ends the control loop.
          asio::post(control, [&signals, &deadline] {
            error_code ignored;
            signals.cancel(ignored);
            deadline.cancel();
          });
        }
      });
    }
    control.run();
    for (auto& thread : threads) thread.join();
    // A child started meanwhile goes to a stopped worker and is killed and
    // reaped when that worker's queue is destroyed.
    spawner.join();
    if (unix_listener) ::unlink(state.config.unix_socket.c_str());
    return 0;
  }
};

Server::Server(ServerState& state) : impl_(std::make_unique<Impl>(state)) {}
Server::~Server() = default;
void Server::listen() { impl_->listen(); }
int Server::run() { return impl_->run(); }

}  // namespace wsexec
