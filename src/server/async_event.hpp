#pragma once
// Two tiny coroutine primitives for one worker's thread: an event a
// coroutine can wait for, and a gate that lets one coroutine at a time
// through. Asio 1.74 has neither (its experimental channels came later), so
// both are a timer that never expires, cancelled to wake the waiters: the
// idiom the sessions and the CGI exchange used to write out three times.
//
// Not thread-safe: every call runs on one executor (the event's, the one it
// was made with; the gate's, that of the coroutines that use it).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <vector>

namespace wsexec {

// A flag coroutines can wait on: set() wakes every waiter, and a wait after
// set() returns at once. It stays set.
class AsyncEvent {
 public:
  explicit AsyncEvent(const boost::asio::any_io_executor& executor)
      : timer_(executor, boost::asio::steady_timer::time_point::max()) {}

  void set() {
    set_ = true;
    timer_.cancel();
  }
  bool is_set() const { return set_; }

  boost::asio::awaitable<void> wait() {
    while (!set_) {
      boost::system::error_code ignored;  // cancel() is the wake-up call
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
  }

 private:
  boost::asio::steady_timer timer_;
  bool set_ = false;
};

// Lets one coroutine at a time hold it, in the order they asked. A waiter
// costs one timer on its own coroutine frame; nobody waiting costs nothing
// (an empty vector allocates nothing, unlike a deque).
//
// A release hands the gate straight to the first waiter: it stays busy
// until that waiter has run and released it in turn. Freeing it and letting
// the waiter take it when it runs let whoever asked in between take it
// first: a later acquire(), or a shared program's direct send, which calls
// try_acquire() the moment its last write completes. A server shutting
// down then sent a client its close frame only once that client's whole
// queue had been written, one write after another.
//
// Its waiters' timers are made on the waiting coroutine's executor: the gate
// keeps none of its own (48 bytes less in every WebSocket session, of which
// a shared program may have thousands).
class AsyncGate {
 public:
  boost::asio::awaitable<void> acquire() {
    if (!busy_) {
      busy_ = true;
      co_return;
    }
    boost::asio::steady_timer wake(co_await boost::asio::this_coro::executor,
                                   boost::asio::steady_timer::time_point::max());
    waiters_.push_back(&wake);
    boost::system::error_code ignored;  // cancel() is the hand-over
    co_await wake.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    // release() handed the gate over: it is ours, still busy.
  }

  // Takes the gate if it is free, without waiting: for a caller that has
  // another way to go when it is not (and no coroutine to suspend).
  bool try_acquire() {
    if (busy_) return false;
    busy_ = true;
    return true;
  }

  void release() {
    if (waiters_.empty()) {
      busy_ = false;
      return;
    }
    waiters_.front()->cancel();  // the gate is theirs from now
    waiters_.erase(waiters_.begin());
  }

  bool busy() const { return busy_; }

 private:
  bool busy_ = false;
  std::vector<boost::asio::steady_timer*> waiters_;
};

}  // namespace wsexec
