#pragma once
// One event-loop thread and the connections living on it. A connection
// stays on its worker for its whole life, so nothing here takes a lock: every
// member is called from the worker's own thread.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/io_context.hpp>
#include <unordered_set>

namespace wsexec {

// A connection the server can ask to end (on SIGINT/SIGTERM).
class Stoppable {
 public:
  virtual void stop() = 0;

 protected:
  ~Stoppable() = default;
};

class Worker {
 public:
  Worker() : context_(1) {}  // concurrency hint 1: one thread runs it, Asio may skip locks
  boost::asio::io_context& context() { return context_; }

  void add(Stoppable* connection) { connections_.insert(connection); }
  void remove(Stoppable* connection) { connections_.erase(connection); }

  // Asks every live connection to end; they unregister as they go.
  void stop_all() {
    const auto snapshot = connections_;  // stop() may unregister synchronously
    for (auto* connection : snapshot) connection->stop();
  }

 private:
  // Declared first so it is destroyed last: destroying the io_context
  // destroys pending sessions, which unregister themselves from this set.
  std::unordered_set<Stoppable*> connections_;
  boost::asio::io_context context_;
};

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
