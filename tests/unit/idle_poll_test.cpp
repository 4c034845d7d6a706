// IdlePoll: how long a worker polls for work before it sleeps (--pollus).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/idle_poll.hpp"

namespace wsexec {
namespace {

using us = std::chrono::microseconds;

TEST(IdlePoll, PollsForNothingUntilWorkComesSoonAfterIdling) {
  IdlePoll poll(us(100));
  EXPECT_EQ(poll.window(), us(0));
  poll.was_idle_for(us(5000));  // an idle server: still nothing
  EXPECT_EQ(poll.window(), us(0));
  poll.was_idle_for(us(40));  // a longer window would have caught it
  EXPECT_EQ(poll.window(), IdlePoll::kFirstWindow);
}

TEST(IdlePoll, GrowsByDoublingUpToTheLongestWindow) {
  IdlePoll poll(us(100));
  const std::vector<us> expected{us(8), us(16), us(32), us(64), us(100), us(100)};
  for (const us window : expected) {
    poll.was_idle_for(us(99));
    EXPECT_EQ(poll.window(), window);
  }
}

TEST(IdlePoll, WorkFoundWithinTheWindowKeepsIt) {
  IdlePoll poll(us(100));
  for (int i = 0; i < 4; ++i) poll.was_idle_for(us(90));
  ASSERT_EQ(poll.window(), us(64));
  poll.was_idle_for(us(30));
  EXPECT_EQ(poll.window(), us(64));
}

TEST(IdlePoll, HalvesAfterFourLongSpellsInARow) {
  IdlePoll poll(us(100));
  for (int i = 0; i < 6; ++i) poll.was_idle_for(us(99));
  ASSERT_EQ(poll.window(), us(100));
  for (unsigned i = 1; i < IdlePoll::kLongSpellsPerHalving; ++i) {
    poll.was_idle_for(us(2000));
    EXPECT_EQ(poll.window(), us(100)) << i << " long spells";
  }
  poll.was_idle_for(us(2000));
  EXPECT_EQ(poll.window(), us(50));
  for (unsigned i = 0; i < IdlePoll::kLongSpellsPerHalving; ++i) poll.was_idle_for(us(2000));
  EXPECT_EQ(poll.window(), us(25));
}

// A conversation: the client thinking (long), then the answers (short).
TEST(IdlePoll, AShortSpellBetweenLongOnesKeepsTheWindow) {
  IdlePoll poll(us(100));
  for (int i = 0; i < 6; ++i) poll.was_idle_for(us(99));
  for (int turn = 0; turn < 50; ++turn) {
    for (unsigned i = 1; i < IdlePoll::kLongSpellsPerHalving; ++i) poll.was_idle_for(us(2000));
    poll.was_idle_for(us(20));
  }
  EXPECT_EQ(poll.window(), us(100));
}

TEST(IdlePoll, LongIdleSpellsEndThePolling) {
  IdlePoll poll(us(100));
  for (int i = 0; i < 6; ++i) poll.was_idle_for(us(99));
  for (int i = 0; i < 40; ++i) poll.was_idle_for(us(3000));
  EXPECT_EQ(poll.window(), us(0));
}

TEST(IdlePoll, ALongestWindowBelowTheFirstIsTheLongest) {
  IdlePoll poll(us(5));
  poll.was_idle_for(us(3));
  EXPECT_EQ(poll.window(), us(5));
}

TEST(IdlePoll, ZeroNeverPolls) {
  IdlePoll poll(us(0));
  for (const int idle : {0, 1, 7, 40, 5000}) {
    poll.was_idle_for(us(idle));
    EXPECT_EQ(poll.window(), us(0)) << idle;
  }
}

// --pollus on the command line.
Config parse(const std::vector<std::string>& args) {
  return parse_command_line(args).config;
}

TEST(ConfigPollUs, DefaultsToAHundredMicroseconds) {
  EXPECT_EQ(parse({"cat"}).poll_us, 100u);
}

TEST(ConfigPollUs, TakesZeroToTenMilliseconds) {
  EXPECT_EQ(parse({"--pollus=0", "cat"}).poll_us, 0u);
  EXPECT_EQ(parse({"--pollus=10000", "cat"}).poll_us, 10000u);
}

TEST(ConfigPollUs, RefusesMoreThanTenMillisecondsOrNotANumber) {
  for (const std::string value : {"10001", "-1", "abc", ""}) {
    try {
      parse({"--pollus=" + value, "cat"});
      ADD_FAILURE() << "accepted --pollus=" << value;
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.exit_status(), 1) << value;
      EXPECT_NE(std::string(e.what()).find("--pollus"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace wsexec
