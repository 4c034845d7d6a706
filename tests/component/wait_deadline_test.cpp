// WaitDeadline on a real event loop: when the deadline and the wait it
// guards complete in the same turn, exactly one of them wins (the CGI
// header read once let both win and ended a script mid-body).
#include "http/wait_deadline.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <thread>

namespace wsexec {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = asio::steady_timer::clock_type;

struct Race {
  int expiries = 0;
  std::optional<bool> wait_won;
};

// The guarded wait is a second timer due at the same instant, so both
// handlers are queued together when the loop first looks. Asio runs timers
// due at the same instant in the order they were started, which is how
// `wait_first` puts one before the other.
Race race_in_one_turn(bool wait_first) {
  asio::io_context context{1};
  const auto at = Clock::now();
  Race race;
  std::optional<asio::steady_timer> wait;
  std::optional<WaitDeadline> deadline;
  auto start_wait = [&] {
    wait.emplace(context, at);
    wait->async_wait([&](const boost::system::error_code&) { race.wait_won = deadline->settle(); });
  };
  if (wait_first) start_wait();
  deadline.emplace(context.get_executor(), at, [&] { ++race.expiries; });
  if (!wait_first) start_wait();
  std::this_thread::sleep_for(5ms);  // both are due before the loop first looks
  context.run();
  return race;
}

TEST(WaitDeadline, WaitCompletingJustBeforeTheQueuedExpiryWinsAndTheExpiryDoesNotRun) {
  const Race race = race_in_one_turn(/*wait_first=*/true);
  ASSERT_TRUE(race.wait_won.has_value());
  EXPECT_TRUE(*race.wait_won);
  EXPECT_EQ(race.expiries, 0) << "the deadline also acted on a wait that had won";
}

TEST(WaitDeadline, ExpiryJustBeforeTheWaitCompletesWinsAndTheWaitIsTold) {
  const Race race = race_in_one_turn(/*wait_first=*/false);
  ASSERT_TRUE(race.wait_won.has_value());
  EXPECT_FALSE(*race.wait_won) << "the wait believed it won after the deadline had acted";
  EXPECT_EQ(race.expiries, 1);
}

TEST(WaitDeadline, SettledBeforeItsTimeItNeverExpires) {
  asio::io_context context{1};
  int expiries = 0;
  WaitDeadline deadline(context.get_executor(), Clock::now() + 20ms, [&] { ++expiries; });
  EXPECT_TRUE(deadline.settle());
  context.run();
  EXPECT_EQ(expiries, 0);
  EXPECT_FALSE(deadline.expired());
}

TEST(WaitDeadline, UnsettledItExpiresOnceAndOutlivesItsOwner) {
  asio::io_context context{1};
  int expiries = 0;
  {
    WaitDeadline deadline(context.get_executor(), Clock::now(), [&] { ++expiries; });
    context.run_one();
    EXPECT_TRUE(deadline.expired());
    EXPECT_FALSE(deadline.settle());
  }
  context.restart();
  context.run();
  EXPECT_EQ(expiries, 1);
}

}  // namespace
}  // namespace wsexec
