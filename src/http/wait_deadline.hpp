#pragma once
// A deadline for a wait that can also end by itself (a read of a script's
// headers, say), where exactly one of the two must win.
//
// A timer's handler that checks only its error code cannot tell: when the
// timer expires and the wait completes in the same turn of the event loop,
// the handler is already queued with success, so cancel() comes too late
// and both sides believe they won (the script is ended mid-body, or the
// handler touches a coroutine frame that has finished). Here the two agree
// through a state that the handler shares, so it outlives the waiter.
//
// Not thread-safe: every call runs on the executor it was made with.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

namespace wsexec {

class WaitDeadline {
 public:
  // Runs `on_expiry` at `at` unless settle() came first. `on_expiry` must
  // hold what it needs (it may run after the waiter has gone).
  WaitDeadline(const boost::asio::any_io_executor& executor,
               boost::asio::steady_timer::time_point at, std::function<void()> on_expiry);
  ~WaitDeadline();
  WaitDeadline(const WaitDeadline&) = delete;
  WaitDeadline& operator=(const WaitDeadline&) = delete;

  // The wait ended by itself. True when it won; false when the deadline
  // had already expired (on_expiry has run, the result is to be dropped).
  bool settle();
  bool expired() const { return state_->expired; }

 private:
  struct State {
    bool settled = false;
    bool expired = false;
    std::function<void()> on_expiry;
  };
  std::shared_ptr<State> state_;
  boost::asio::steady_timer timer_;
};

}  // namespace wsexec
