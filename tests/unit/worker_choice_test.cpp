#include "core/worker_choice.hpp"

#include <gtest/gtest.h>

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
  // 1,000 connections arriving at once, none ending: the loads stay within
  // the slack of each other.
  std::vector<std::size_t> loads(4, 0);
  for (int i = 0; i < 1000; ++i) ++loads[choose_worker(loads)];
  for (std::size_t load : loads) {
    EXPECT_GE(load, 250u - kAcceptorSlack);
    EXPECT_LE(load, 250u + kAcceptorSlack);
  }
}

}  // namespace
}  // namespace wsexec
