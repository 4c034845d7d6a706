#include "server/server.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "core/limits.hpp"
#include "core/worker_choice.hpp"
#include "http/http_session.hpp"
#include "http/metrics_listener.hpp"
#include "process/spawner.hpp"
#include "server/activation.hpp"
#include "server/listeners.hpp"
#include "server/log.hpp"
#include "server/systemd_notify.hpp"
#include "server/tls_context.hpp"
#include "server/worker.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// Accept failures come in episodes: EMFILE lasts until connections close,
// and the acceptor retries every kAcceptRetryPause meanwhile. Near the limit
// accepts alternate (one succeeds on a descriptor just freed, the next
// fails), so an episode ends only once accepts have gone a whole retry pause
// without failing. One line when it starts, one when it ends: a line per
// attempt was 20 a second, all saying the same.
class AcceptFailureLog {
 public:
  explicit AcceptFailureLog(const asio::any_io_executor& executor) : quiet_(executor) {}

  void failed(const error_code& ec) {
    if (!episode_ || episode_->over) {
      episode_ = std::make_shared<Episode>();
      log::error("server", "accept failed: " + ec.message() + "; retrying every " +
                               std::to_string(limits::kAcceptRetryPause.count()) +
                               " ms until it succeeds");
    }
    ++episode_->failed_attempts;
    quiet_.cancel();
  }

  void succeeded() {
    if (!episode_ || episode_->over) return;
    quiet_.expires_after(limits::kAcceptRetryPause);
    // The episode, not `this`: the loop may end (the server stops) while the
    // wait is queued. A failure after the wait expired but before this runs
    // shows in the count.
    quiet_.async_wait([episode = episode_, attempts = episode_->failed_attempts](error_code ec) {
      if (ec || episode->over || episode->failed_attempts != attempts) return;
      episode->over = true;
      log::info("server", "accepting again after " + std::to_string(attempts) + " failed attempts");
    });
  }

 private:
  struct Episode {
    std::uint64_t failed_attempts = 0;
    bool over = false;
  };
  std::shared_ptr<Episode> episode_;
  asio::steady_timer quiet_;
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerState& state_in) : state(state_in), workers(worker_count()) {
    load_tls();
    listeners = bind_listeners(state.config, tls ? &*tls : nullptr, workers[0].context(),
                               take_activated_sockets(state.config));
    if (!state.config.metrics_address.empty()) metrics.emplace(control, state);
  }
  // The spawner's completions go to the workers' queues: none may arrive
  // once they are destroyed. A child started meanwhile goes to a stopped
  // worker and is killed and reaped when that worker's queue is destroyed.
  // Then the workers' loops end together (shut_down_together), before any
  // of them is destroyed.
  ~Impl() {
    state.spawner->join();
    shut_down_together(workers);
  }

  ServerState& state;
  std::deque<Worker> workers;   // deque: Workers are neither copied nor moved
  asio::io_context control{1};  // signals and the stop deadline, on the main thread
  // Made before the listeners are bound (the constructor's body), so a
  // signal from the moment the "Starting" line is logged waits in the set
  // until run() takes it; with the default action a SIGHUP (a reload sent
  // right after start-up) or a SIGTERM in between ended the process at once.
  asio::signal_set stop_and_reload_signals{control, SIGINT, SIGTERM, SIGHUP};
  std::optional<TlsContextStore> tls;
  Listeners listeners;  // on workers[0]
  // --metrics, on `control`.
  std::optional<MetricsListener> metrics;

  // The worker for a connection just accepted on workers[0]: see
  // choose_worker().
  Worker& pick_worker() {
    loads.clear();
    for (const auto& worker : workers) loads.push_back(worker.load());
    return workers[choose_worker(loads)];
  }
  std::vector<std::size_t> loads;  // pick_worker's, kept to avoid an allocation per connection

  // Reads and checks the TLS files before anything listens.
  void load_tls() {
    if (!state.config.tls) return;
    TlsFiles files{state.config.tls_certificate, state.config.tls_key, state.config.tls_client_ca};
    std::string warning;
    try {
      auto context = make_tls_context(files, warning);
      tls.emplace(std::move(files), std::move(context));
    } catch (const TlsSetupError& e) {
      throw StartupError(e.what());
    }
    if (!warning.empty()) log::error("server", "warning: " + warning);
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
    AcceptFailureLog failures(acceptor.get_executor());
    while (true) {
      error_code ec;
      // On the first worker's executor: where the connection stays if it
      // is chosen, and what move_to() replaces if not.
      typename Acceptor::endpoint_type peer;  // from accept() itself: no getpeername later
      auto socket = co_await acceptor.async_accept(workers[0].executor(), peer,
                                                   asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // EMFILE and friends: pause rather than spin on a full table.
        failures.failed(ec);
        asio::steady_timer pause(acceptor.get_executor(), limits::kAcceptRetryPause);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      failures.succeeded();
      Worker& worker = pick_worker();
      if (&worker != &workers[0] && !move_to(worker, socket)) continue;
      worker.hand_over();
      asio::co_spawn(worker.executor(),
                     arrive_then(worker, serve(std::move(socket), std::move(peer), worker)),
                     asio::detached);
    }
  }

  // Makes `socket` (accepted on workers[0]) a socket of `worker`: the
  // descriptor moves over. False, with the descriptor closed and the reason
  // logged, if it could not (the new epoll may refuse it: ENOMEM, ENOSPC).
  template <typename Socket>
  static bool move_to(Worker& worker, Socket& socket) {
    error_code ec;
    Socket moved(worker.executor());
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
    for (auto& listener : listeners.tcp) {
      asio::co_spawn(
          workers[0].context(),
          accept_loop(
              listener.acceptor,
              [this, role = listener.role](tcp::socket socket, tcp::endpoint peer, Worker& worker) {
                return serve_connection(std::move(socket), std::move(peer), role, state, worker);
              }),
          asio::detached);
    }
    if (listeners.unix_socket) {
      asio::co_spawn(
          workers[0].context(),
          accept_loop(*listeners.unix_socket,
                      [this](asio::local::stream_protocol::socket socket,
                             asio::local::stream_protocol::endpoint /*unnamed, as clients are*/,
                             Worker& worker) {
                        return serve_unix_connection(std::move(socket), ListenerRole{}, state,
                                                     worker);
                      }),
          asio::detached);
    }
  }

  // The first SIGINT/SIGTERM: accept nothing more (with socket activation
  // systemd keeps its copy of the listening socket, so connection attempts
  // wait there for the next start), then end the sessions at once or, with
  // --drainms, once the drain time is over; each worker's run() returns as
  // soon as its last session is gone, whichever comes first.
  void begin_stop(std::vector<asio::executor_work_guard<asio::io_context::executor_type>>& guards,
                  asio::steady_timer& deadline) {
    state.draining = true;
    const unsigned drain_ms = state.config.drain_ms;
    asio::post(workers[0].context(), [this, drain_ms] {
      error_code ignored;  // closing cancels the accept loops
      for (auto& listener : listeners.tcp) listener.acceptor.close(ignored);
      if (listeners.unix_socket) listeners.unix_socket->close(ignored);
      // Said once it is true: the listeners are closed.
      if (drain_ms != 0) {
        log::info("server", "Draining: accepting no new connections; open sessions may go on for " +
                                std::to_string(drain_ms) + " ms");
      }
    });
    // A pending tick of a worker's teardown sweep must not hold its run()
    // up to a second after its last session has gone.
    for (auto& worker : workers) {
      asio::post(worker.context(), [&worker] { worker.teardown_sweep().finish_when_empty(); });
    }
    guards.clear();
    if (drain_ms == 0) {
      end_sessions(deadline);
      return;
    }
    deadline.expires_after(std::chrono::milliseconds(drain_ms));
    deadline.async_wait([this, &deadline](error_code ec) {
      if (!ec) end_sessions(deadline);  // cancelled: every session ended by itself
    });
  }

  void end_sessions(asio::steady_timer& deadline) {
    state.stopping = true;
    log::info("server", "Shutting down: closing sessions and ending children");
    for (auto& worker : workers) {
      asio::post(worker.context(), [&worker] { worker.stop_all(); });
    }
    deadline.expires_after(limits::kStopDeadline);
    deadline.async_wait([this](error_code ec) {
      if (ec) return;  // every worker finished in time
      log::error("server", "sessions still open after the stop deadline; ending them by force");
      for (auto& worker : workers) worker.context().stop();
    });
  }

  std::size_t live_connections() const {
    std::size_t count = 0;
    for (const auto& worker : workers) count += worker.load();
    return count;
  }

  // For the systemd watchdog: `done` runs once every worker has run a task.
  // While stopping, workers end one by one as their sessions do, so the
  // control loop answers for them; the stop deadline bounds that time.
  void probe_workers(std::function<void()> done) {
    if (state.draining) {
      done();
      return;
    }
    auto remaining = std::make_shared<std::atomic<std::size_t>>(workers.size());
    for (auto& worker : workers) {
      asio::post(worker.context(), [remaining, done] {
        if (remaining->fetch_sub(1) == 1) done();
      });
    }
  }

  int run() {
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    for (auto& worker : workers) guards.push_back(asio::make_work_guard(worker.context()));
    start_accepting();

    asio::signal_set& signals = stop_and_reload_signals;
    asio::steady_timer deadline(control);
    SystemdNotifier notifier(
        control, [this] { return live_connections(); },
        [this](std::function<void()> done) { probe_workers(std::move(done)); });
    bool stopping = false;
    std::function<void(error_code, int)> on_signal = [&](error_code ec, int signal_number) {
      if (ec) return;
      if (signal_number == SIGHUP) {
        notifier.reloading();
        reload();
        notifier.reloaded();
      } else if (stopping) {  // a second signal: stop waiting for the drain or the ladder
        log::info("server", "Second signal: ending every session at once");
        for (auto& worker : workers) worker.context().stop();
      } else {
        stopping = true;
        notifier.stopping();
        begin_stop(guards, deadline);
      }
      signals.async_wait(on_signal);
    };
    signals.async_wait(on_signal);
    if (metrics) metrics->start();

    std::atomic<std::size_t> running{workers.size()};
    std::vector<std::thread> threads;
    for (auto& worker : workers) {
      threads.emplace_back([this, &worker, &running, &signals, &deadline, &notifier] {
        worker.run(std::chrono::microseconds(state.config.poll_us));
        if (running.fetch_sub(1) == 1) {
          // The last worker out ends the control loop.
          asio::post(control, [this, &signals, &deadline, &notifier] {
            error_code ignored;
            signals.cancel(ignored);
            deadline.cancel();
            notifier.cancel_timers();
            if (metrics) metrics->close();
          });
        }
      });
    }
    notifier.ready();
    control.run();
    for (auto& thread : threads) thread.join();
    if (listeners.unix_socket && !listeners.unix_socket_from_systemd)
      ::unlink(state.config.unix_socket.c_str());
    return 0;
  }
};

Server::Server(ServerState& state) : impl_(std::make_unique<Impl>(state)) {}
Server::~Server() = default;
int Server::run() {
  return impl_->run();
}

}  // namespace wsexec
