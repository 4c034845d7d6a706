// SseStreamWaker on a real event loop: a wake that runs after the stream
// looked at the outbox but before its wait started must not be lost (it
// once was: the events waited for the 15 s keep-alive).
#include "sse/sse_stream_waker.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>

namespace wsexec {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Runs one wait of up to `limit` and says how it ended and how long it took.
struct WaitResult {
  std::optional<bool> keep_alive_due;
  std::chrono::steady_clock::duration took{};
};

WaitResult wait_once(asio::io_context& context, SseStreamWaker& waker,
                     std::chrono::steady_clock::duration limit) {
  WaitResult result;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(
      context,
      [&]() -> asio::awaitable<void> { result.keep_alive_due = co_await waker.wait(limit); },
      asio::detached);
  context.run_for(2s);
  result.took = std::chrono::steady_clock::now() - start;
  return result;
}

TEST(SseStreamWaker, AWakeBeforeTheWaitStartsEndsTheWaitAtOnce) {
  asio::io_context context{1};
  auto waker = std::make_shared<SseStreamWaker>(context.get_executor());
  waker->clear_wake();  // the stream looks at the outbox: empty
  waker->wake();        // the session publishes meanwhile
  context.poll();       // the wake runs before the stream's wait starts
  context.restart();
  const WaitResult result = wait_once(context, *waker, 10s);
  ASSERT_TRUE(result.keep_alive_due.has_value()) << "the wait did not end: the wake was lost";
  EXPECT_FALSE(*result.keep_alive_due);
  EXPECT_LT(result.took, 1s);
}

TEST(SseStreamWaker, AWakeAnsweredByALookDoesNotEndTheNextWait) {
  asio::io_context context{1};
  auto waker = std::make_shared<SseStreamWaker>(context.get_executor());
  waker->wake();
  context.poll();
  context.restart();
  waker->clear_wake();  // the stream's look at the outbox took what woke it
  const WaitResult result = wait_once(context, *waker, 50ms);
  ASSERT_TRUE(result.keep_alive_due.has_value());
  EXPECT_TRUE(*result.keep_alive_due) << "an answered wake cut the keep-alive wait short";
}

TEST(SseStreamWaker, AWakeDuringTheWaitEndsIt) {
  asio::io_context context{1};
  auto waker = std::make_shared<SseStreamWaker>(context.get_executor());
  waker->clear_wake();
  asio::steady_timer later(context, 20ms);
  later.async_wait([&](const boost::system::error_code&) { waker->wake(); });
  const WaitResult result = wait_once(context, *waker, 10s);
  ASSERT_TRUE(result.keep_alive_due.has_value());
  EXPECT_FALSE(*result.keep_alive_due);
  EXPECT_LT(result.took, 1s);
}

}  // namespace
}  // namespace wsexec
