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

// Starts a coroutine that waits for the gate, notes `name` in `order` once
// it holds it, and releases it.
void start_holder(asio::io_context& context, AsyncGate& gate, const std::string& name,
                  std::vector<std::string>& order) {
  asio::co_spawn(
      context,
      [&gate, &order, name]() -> asio::awaitable<void> {
        co_await gate.acquire();
        order.push_back(name);
        gate.release();
      },
      asio::detached);
}

TEST(AsyncGate, AWaiterGetsTheGateAtTheReleaseBeforeATryAcquireMadeRightAfterIt) {
  asio::io_context context{1};
  AsyncGate gate;
  std::vector<std::string> order;
  ASSERT_TRUE(gate.try_acquire());
  start_holder(context, gate, "waiter", order);
  context.poll();  // the waiter is now waiting for the gate
  ASSERT_TRUE(order.empty());

  gate.release();
  // What the direct send does when its write completes and more is queued.
  EXPECT_FALSE(gate.try_acquire()) << "the gate went to a caller that came after the waiter";
  context.poll();
  EXPECT_EQ(order, std::vector<std::string>{"waiter"});
  // The waiter released it: it is free again.
  EXPECT_FALSE(gate.busy());
  EXPECT_TRUE(gate.try_acquire());
}

TEST(AsyncGate, WaitersGetTheGateInTheOrderTheyAskedEvenAgainstANewAcquire) {
  asio::io_context context{1};
  AsyncGate gate;
  std::vector<std::string> order;
  ASSERT_TRUE(gate.try_acquire());
  start_holder(context, gate, "first", order);
  start_holder(context, gate, "second", order);
  context.poll();
  ASSERT_TRUE(order.empty());

  gate.release();
  // A coroutine that asks only now comes after both.
  start_holder(context, gate, "third", order);
  context.poll();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_FALSE(gate.busy());
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
