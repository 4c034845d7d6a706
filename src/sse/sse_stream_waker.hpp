#pragma once
// How a session tells an event stream, which may run on another worker,
// that there is something to send: wake() from any thread posts a
// cancellation of the stream's wait to the stream's own executor. The wait
// doubles as the keep-alive clock. A wake that arrives while the stream is
// busy writing cancels nothing, which is harmless: the stream looks at the
// outbox before every wait, in the same turn as it starts waiting.
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
    boost::asio::post(timer_.get_executor(),
                      [self = shared_from_this()] { self->timer_.cancel(); });
  }

  // On the stream's executor from here on.

  // Returns true when `limit` passed without a wake-up (time for a keep-alive).
  boost::asio::awaitable<bool> wait(std::chrono::steady_clock::duration limit) {
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
};

}  // namespace wsexec
