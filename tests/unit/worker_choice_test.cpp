#include "core/worker_choice.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace wsexec {
namespace {

std::size_t choose(std::vector<std::size_t> loads, std::size_t slack = kAcceptorSlack) {
  return choose_worker(loads, slack);
}

TEST(WorkerChoice, NoWorkersOrOneWorkerGivesTheFirst) {
  EXPECT_EQ(choose({}), 0u);
  EXPECT_EQ(choose({7}), 0u);
}

TEST(WorkerChoice, TheAcceptorKeepsConnectionsWithinTheSlack) {
  // Serial clients: the previous connection is still ending on worker 0.
  EXPECT_EQ(choose({0, 0}), 0u);
  EXPECT_EQ(choose({1, 0}), 0u);
  EXPECT_EQ(choose({2, 0}), 0u);
  EXPECT_EQ(choose({12, 10, 11}), 0u);
}

TEST(WorkerChoice, BeyondTheSlackTheLeastLoadedTakesIt) {
  EXPECT_EQ(choose({3, 0}), 1u);
  EXPECT_EQ(choose({9, 5, 4, 6}), 2u);
  // Of equals, the first.
  EXPECT_EQ(choose({5, 1, 1}), 1u);
}

TEST(WorkerChoice, ZeroSlackBalancesEvenly) {
  EXPECT_EQ(choose({1, 0}, 0), 1u);
  EXPECT_EQ(choose({1, 1}, 0), 0u);
}

TEST(WorkerChoice, ACrowdEndsUpSpreadOverAllWorkers) {
  // 1,000 connections arriving at once, none ending: the acceptor ends with
  // at most an eighth more than the others, which stay within one of each
  // other.
  std::vector<std::size_t> loads(4, 0);
  for (int i = 0; i < 1000; ++i) ++loads[choose_worker(loads)];
  const std::size_t least = *std::min_element(loads.begin(), loads.end());
  EXPECT_GE(least, 235u);
  EXPECT_LE(loads[0], least + least / kAcceptorSlackShareDivisor + 1);
  for (std::size_t i = 1; i < loads.size(); ++i) EXPECT_LE(loads[i], least + 1);
}

TEST(WorkerChoice, BesideManyIdleConnectionsSerialOnesStayOnTheAcceptor) {
  // 1,000 held connections a few apart (a crowd leaves them so) must not
  // send every serial connection to the other worker: a wake-up each.
  EXPECT_EQ(choose({503, 500}), 0u);
  EXPECT_EQ(choose({562, 500}), 0u);
  // Beyond an eighth of the least load, the least loaded takes it.
  EXPECT_EQ(choose({563, 500}), 1u);
  EXPECT_EQ(choose({563, 500, 499}), 2u);
}

}  // namespace
}  // namespace wsexec
