#pragma once
// Starts children off the event loops. start_program returns only once the
// child has exec'd (CLONE_VFORK): about 200 µs here, during which the
// calling thread can do nothing else. On a spawner thread, the worker meanwhile
// sends the 101 and serves its other connections.
//
// Started children come back to the worker through its executor. join()
// must run before the workers' io_contexts are destroyed; a child whose
// completion is never run (the server stopped) is killed and reaped by
// StartedChild's destructor.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <system_error>

#include "process/child_process.hpp"

namespace wsexec {

class Spawner {
 public:
  // One thread per worker: a storm of connections spawns on every core, as
  // it did when the workers spawned themselves.
  explicit Spawner(std::size_t threads) : pool_(threads) {}
  ~Spawner() { join(); }
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  // Runs ChildProcess::start(request) on the spawner's thread, then
  // on_started(StartedChild, std::error_code) on `executor`.
  template <typename OnStarted>
  void start(SpawnRequest request, boost::asio::any_io_executor executor, OnStarted on_started) {
    boost::asio::post(pool_, [request = std::move(request), executor = std::move(executor),
                              on_started = std::move(on_started)]() mutable {
      std::error_code error;
      StartedChild started = ChildProcess::start(request, error);
      boost::asio::post(executor, [started = std::move(started), error,
                                   on_started = std::move(on_started)]() mutable {
        on_started(std::move(started), error);
      });
    });
  }

  // Waits for the spawns already asked for; later ones are not run.
  void join() { pool_.join(); }

 private:
  boost::asio::thread_pool pool_;
};

}  // namespace wsexec
