// AsyncGate on a real event loop. A session's writes and its close share
// one gate; a shared program's direct send takes it with try_acquire() the
// moment its previous write completes. A waiter (the close frame of a
// server shutting down) must get the gate at the next release, not lose it
// to a caller that came after it: it once did, write after write, until
// the client's whole queue had been sent.
#include "server/async_event.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

namespace wsexec {
namespace {

namespace asio = boost::asio;

// A gate on a one-thread event loop, and the order in which coroutines got
// it. Each coroutine waits for the gate, notes its name once it holds it,
// and releases it.
class AsyncGateOrder : public testing::Test {
 protected:
  void start_holder(const std::string& name) {
    asio::co_spawn(
        context_,
        [this, name]() -> asio::awaitable<void> {
          co_await gate_.acquire();
          order_.push_back(name);
          gate_.release();
        },
        asio::detached);
  }

  // The gate is held (by the test) and `names` are waiting for it, in order.
  void hold_with_waiters(const std::vector<std::string>& names) {
    ASSERT_TRUE(gate_.try_acquire());
    for (const std::string& name : names) start_holder(name);
    context_.poll();
    ASSERT_TRUE(order_.empty());
  }

  asio::io_context context_{1};
  AsyncGate gate_;
  std::vector<std::string> order_;
};

TEST_F(AsyncGateOrder, AWaiterGetsTheGateAtTheReleaseBeforeATryAcquireMadeRightAfterIt) {
  hold_with_waiters({"waiter"});
  gate_.release();
  // What the direct send does when its write completes and more is queued.
  EXPECT_FALSE(gate_.try_acquire()) << "the gate went to a caller that came after the waiter";
  context_.poll();
  EXPECT_EQ(order_, std::vector<std::string>{"waiter"});
  // The waiter released it: it is free again.
  EXPECT_FALSE(gate_.busy());
  EXPECT_TRUE(gate_.try_acquire());
}

TEST_F(AsyncGateOrder, WaitersGetTheGateInTheOrderTheyAskedEvenAgainstANewAcquire) {
  hold_with_waiters({"first", "second"});
  gate_.release();
  // A coroutine that asks only now comes after both.
  start_holder("third");
  context_.poll();
  EXPECT_EQ(order_, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_FALSE(gate_.busy());
}

TEST(AsyncGate, AReleaseWithNobodyWaitingFreesTheGate) {
  AsyncGate gate;
  ASSERT_TRUE(gate.try_acquire());
  EXPECT_FALSE(gate.try_acquire());
  gate.release();
  EXPECT_FALSE(gate.busy());
  EXPECT_TRUE(gate.try_acquire());
}

}  // namespace
}  // namespace wsexec
