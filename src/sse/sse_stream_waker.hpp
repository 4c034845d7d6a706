#pragma once
// How a session tells an event stream, which may run on another worker,
// that there is something to send: wake() from any thread posts a
// cancellation of the stream's wait to the stream's own executor. The wait
// doubles as the keep-alive clock. A wake is also remembered (woken_), and
// a wait that starts after one returns at once: the stream's look at the
// outbox and the start of its wait are not one turn of the loop (the
// nested coroutine's start can let queued work run in between), so a wake
// that came in that gap, cancelling nothing, was lost until the keep-alive
// (found under ASan: 750 events held for 15 s).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace wsexec {

class SseStreamWaker : public std::enable_shared_from_this<SseStreamWaker> {
 public:
  explicit SseStreamWaker(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  // Any thread.
  void wake() {
    boost::asio::post(timer_.get_executor(), [self = shared_from_this()] {
      self->woken_ = true;
      self->timer_.cancel();
    });
  }

  // On the stream's executor from here on.

  // Called just before the stream looks at the outbox: wakes before this
  // point are answered by that look.
  void clear_wake() { woken_ = false; }

  // Returns true when `limit` passed without a wake-up (time for a keep-alive).
  // Returns false at once when a wake came since clear_wake().
  boost::asio::awaitable<bool> wait(std::chrono::steady_clock::duration limit) {
    if (woken_) co_return false;
    timer_.expires_after(limit);
    boost::system::error_code ec;  // operation_aborted is the wake-up
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    co_return !ec;
  }

  // The client closed its side, or the connection broke.
  void mark_client_left() {
    client_left_ = true;
    timer_.cancel();
  }
  bool client_left() const { return client_left_; }

 private:
  boost::asio::steady_timer timer_;
  bool client_left_ = false;
  bool woken_ = false;
};

}  // namespace wsexec
