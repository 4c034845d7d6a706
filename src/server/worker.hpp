#pragma once
// One event-loop thread and the connections living on it. A connection
// stays on its worker for its whole life, so nothing here takes a lock: every
// member is called from the worker's own thread, except load() and
// hand_over(), which the acceptor calls to choose a worker.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <unordered_set>
#include <vector>

#include "server/handler_batch.hpp"
#include "server/teardown_sweep.hpp"

namespace wsexec {

// How many workers the server runs, and spawner threads it keeps: one per
// core.
std::size_t worker_count();

// Whether `executor` belongs to an io_context whose loop is running on the
// calling thread: a worker's executor or an io_context's own. False on a
// thread that is tearing the loop down, and for any other kind of executor.
bool runs_on_this_thread(const boost::asio::any_io_executor& executor);

// A connection the server can ask to end (on SIGINT/SIGTERM).
class Stoppable {
 public:
  virtual void stop() = 0;

 protected:
  ~Stoppable() = default;
};

class Worker {
 public:
  // Opens the worker's epoll, eventfd and timerfd now (see worker.cpp).
  Worker();
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  boost::asio::io_context& context() { return context_; }
  // Runs the worker's event loop on the calling thread until it is stopped
  // or out of work. Out of work for now, it polls for more for up to the
  // window IdlePoll gives (core/idle_poll.hpp, --pollus) before it sleeps;
  // a `longest_poll` of zero never polls.
  void run(std::chrono::microseconds longest_poll);
  // The executor for the worker's connections (their sockets, and all that
  // is made from them): the io_context's, with handlers posted on this
  // worker's thread run in batches (batching_executor.hpp).
  boost::asio::any_io_executor executor();

  void add(Stoppable* connection) {
    connections_.insert(connection);
    registered_.store(connections_.size(), std::memory_order_relaxed);
  }
  void remove(Stoppable* connection) {
    connections_.erase(connection);
    registered_.store(connections_.size(), std::memory_order_relaxed);
  }

  // Connections here or on their way here: an estimate for choosing a
  // worker (a connection upgrading to WebSocket counts twice for a moment).
  std::size_t load() const {
    return registered_.load(std::memory_order_relaxed) + incoming_.load(std::memory_order_relaxed);
  }
  // The acceptor gives this worker a connection (any thread); arrived() is
  // called on this worker once the connection runs here.
  void hand_over() { incoming_.fetch_add(1, std::memory_order_relaxed); }
  void arrived() { incoming_.fetch_sub(1, std::memory_order_relaxed); }

  // The end of a session that is over (its group's kill, its pipes'
  // closes, the reap, DISCONNECT) waits until the next connection on this
  // worker has asked for its program, or kRetireDelay: a client that
  // connects again the moment it has closed must not find that work
  // between its request and its 101.
  void retire(std::function<void()> work);
  // Runs what retire() was given; a connection calls it once its spawn is asked for.
  void run_retired();

  // A WebSocket connection of this worker has asked for its program: for a
  // while the worker sleeps when idle rather than poll (Worker::run).
  void program_requested() { last_program_request_ = std::chrono::steady_clock::now(); }
  // Idle spells in which run() polled before sleeping: what the window
  // after a program request turns off, counted for its test (CPU time
  // depends on what else the machine runs; this does not).
  std::size_t polling_spells() const { return polling_spells_; }

  // Limits the wait for a client's end of TCP after the closing handshake,
  // for every WebSocket connection of this worker (teardown_sweep.hpp).
  TeardownSweep& teardown_sweep() { return teardown_sweep_; }

  // Destroys the work the worker's loop still holds (handlers not run, I/O
  // waiting to complete, the sessions they own), the loop itself staying
  // whole; may be called again for work handed to it since. For the end of
  // the server: see shut_down_together.
  void shut_down();

  // Asks every live connection to end; they unregister as they go.
  void stop_all() {
    const auto snapshot = connections_;  // stop() may unregister synchronously
    for (auto* connection : snapshot) connection->stop();
  }

 private:
  // Declared first so it is destroyed last: destroying the io_context
  // destroys pending sessions, which unregister themselves from this set.
  std::unordered_set<Stoppable*> connections_;
  std::atomic<std::size_t> registered_{0};
  std::atomic<std::size_t> incoming_{0};
  // Before the context, so it outlives it: while the io_context shuts down,
  // the sessions it destroys still ask their executor (whose state this is)
  // which thread they are on. ~Worker() drops its pending handlers first,
  // while the loop is whole.
  HandlerBatch batch_{context_};
  // An io_context whose shutdown (destroying pending work, as its destructor
  // does first) can be asked for on its own.
  class Loop : public boost::asio::io_context {
   public:
    using boost::asio::execution_context::shutdown;
    using boost::asio::io_context::io_context;
  };
  Loop context_;
  // After the context: what they hold (sessions) goes before the loop does.
  std::vector<std::function<void()>> retired_;
  boost::asio::steady_timer retire_timer_{context_};
  // After the context too: it goes first and lets go of the connections
  // still linked, which the context's sessions then take with them.
  TeardownSweep teardown_sweep_;
  std::chrono::steady_clock::time_point last_program_request_{};
  std::size_t polling_spells_ = 0;
};

// Ends the loops of `workers` (stopped, no thread running them) before any of
// them is destroyed. A session's objects can be reached from another worker's
// loop: a resumed event stream on one worker holds its session, on another,
// and lets it go by posting there. Destroyed one after another, a later
// loop's pending work then posted to, or freed timers of, a loop already
// gone. Shut down together, every loop's pending work is destroyed while all
// of them exist; what that destruction hands to a loop already shut down is
// destroyed by the next round.
void shut_down_together(std::deque<Worker>& workers);

// Registers a connection for the scope of its owner.
class WorkerRegistration {
 public:
  WorkerRegistration(Worker& worker, Stoppable* connection)
      : worker_(worker), connection_(connection) {
    worker_.add(connection_);
  }
  WorkerRegistration(const WorkerRegistration&) = delete;
  WorkerRegistration& operator=(const WorkerRegistration&) = delete;
  ~WorkerRegistration() { worker_.remove(connection_); }

 private:
  Worker& worker_;
  Stoppable* connection_;
};

}  // namespace wsexec
