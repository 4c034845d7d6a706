#pragma once
// Starts children without holding up the event loops. start_program returns
// only once the child has exec'd (CLONE_VFORK): about 200 µs here, during
// which the calling thread can do nothing else; so a worker never calls it.
//
// The usual way: the worker makes the child's descriptors and hands the
// request to a spawn helper that is free, which clones at once; the worker
// goes on (its 101, its other connections) and reads the helper's answer
// when its socket turns readable, on its own event loop. No other thread is
// woken: on two cores, each wake-up of a spawner thread competed with the
// child's start and the client (docs/performance.md, "The spawn asked for
// and answered on the worker"). When no helper is free (a storm), none
// runs, the answer is late or the helper died, a spawner thread finishes the
// start, where waiting is allowed.
//
// Started children come back to the worker through its executor. join()
// must run before the workers' io_contexts are destroyed; a child whose
// completion is never run (the server stopped) is killed and reaped by
// StartedChild's destructor.
#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <system_error>

#include "core/limits.hpp"
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

  // Starts `request`, then runs on_started(StartedChild, std::error_code) on
  // `executor`, which must be the calling thread's.
  template <typename OnStarted>
  void start(SpawnRequest request, boost::asio::any_io_executor executor, OnStarted on_started) {
    // Only while no other spawn is under way (SpawnHelpers::try_lease_now):
    // in a storm the worker is busy with handshakes and would read an answer
    // late, holding its helper from the spawner threads meanwhile.
    ChildLaunch launch = ChildProcess::begin_start(request);
    if (launch.answer_socket() >= 0) {
      auto wait = std::make_shared<AnswerWait<OnStarted>>(*this, executor, std::move(request),
                                                          std::move(launch), std::move(on_started));
      // The watch is set up after the caller's turn of the loop (four system
      // calls): a session writes its 101 in that turn, and the answer, which
      // comes once the program has exec'd, cannot be ready before it anyway.
      boost::asio::post(executor, [wait = std::move(wait)] {
        // No descriptor left to watch the answer with: a spawner thread waits.
        if (!wait->begin()) wait->finish_elsewhere();
      });
      return;
    }
    finish_on_pool(std::move(request), std::move(launch), std::move(executor),
                   std::move(on_started));
  }

  // Waits for the spawns already asked for; later ones are not run.
  void join() { pool_.join(); }

 private:
  // ChildProcess::finish_start on a spawner thread, then on_started on
  // `executor`.
  template <typename OnStarted>
  void finish_on_pool(SpawnRequest request, ChildLaunch launch,
                      boost::asio::any_io_executor executor, OnStarted on_started) {
    boost::asio::post(
        pool_, [request = std::move(request), launch = std::move(launch),
                executor = std::move(executor), on_started = std::move(on_started)]() mutable {
          std::error_code error;
          StartedChild started = ChildProcess::finish_start(std::move(launch), request, error);
          boost::asio::post(executor, [started = std::move(started), error,
                                       on_started = std::move(on_started)]() mutable {
            on_started(std::move(started), error);
          });
        });
  }

  // Waits on the worker for a helper's answer: the helper's socket turning
  // readable (a copy of its descriptor, registered with the worker's event
  // loop), or the answer timeout, whichever comes first.
  template <typename OnStarted>
  class AnswerWait : public std::enable_shared_from_this<AnswerWait<OnStarted>> {
   public:
    AnswerWait(Spawner& spawner, boost::asio::any_io_executor executor, SpawnRequest request,
               ChildLaunch launch, OnStarted on_started)
        : spawner_(spawner),
          executor_(std::move(executor)),
          request_(std::move(request)),
          launch_(std::move(launch)),
          on_started_(std::move(on_started)),
          socket_(executor_),
          deadline_(executor_) {}

    // False if the socket could not be watched.
    bool begin() {
      const int copy = ::fcntl(launch_.answer_socket(), F_DUPFD_CLOEXEC, 3);
      if (copy < 0) return false;
      boost::system::error_code error;
      socket_.assign(copy, error);
      if (error) {
        ::close(copy);
        return false;
      }
      socket_.async_wait(
          boost::asio::posix::stream_descriptor::wait_read,
          [self = this->shared_from_this()](boost::system::error_code) { self->answered(); });
      deadline_.expires_after(limits::kSpawnHelperAnswerTimeout);
      deadline_.async_wait([self = this->shared_from_this()](boost::system::error_code error) {
        if (!error) self->timed_out();
      });
      return true;
    }

    void finish_elsewhere() {
      spawner_.finish_on_pool(std::move(request_), std::move(launch_), std::move(executor_),
                              std::move(on_started_));
    }

   private:
    void answered() {
      if (!settle()) return;
      std::error_code error;
      if (auto started = ChildProcess::try_finish_start_now(launch_, error)) {
        return on_started_(std::move(*started), error);
      }
      finish_elsewhere();  // the helper died: a spawner thread asks its replacement
    }

    void timed_out() {
      if (!settle()) return;
      ChildProcess::give_up_on_answer(launch_);
      finish_elsewhere();
    }

    // The first of the two to come settles the wait and ends the other.
    bool settle() {
      if (settled_) return false;
      settled_ = true;
      boost::system::error_code ignored;
      socket_.close(ignored);
      deadline_.cancel();
      return true;
    }

    Spawner& spawner_;
    boost::asio::any_io_executor executor_;
    SpawnRequest request_;
    ChildLaunch launch_;
    OnStarted on_started_;
    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer deadline_;
    bool settled_ = false;
  };

  boost::asio::thread_pool pool_;
};

}  // namespace wsexec
