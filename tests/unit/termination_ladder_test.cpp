#include "core/termination_ladder.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace wsexec {
namespace {

using std::chrono::milliseconds;

TEST(LadderSchedule, FourStepsInOrder) {
  const auto ladder = termination_ladder(milliseconds(0));
  ASSERT_EQ(ladder.size(), 4u);
  EXPECT_EQ(ladder[0].action, LadderAction::close_stdin);
  EXPECT_EQ(ladder[1].action, LadderAction::send_sigint);
  EXPECT_EQ(ladder[2].action, LadderAction::send_sigterm);
  EXPECT_EQ(ladder[3].action, LadderAction::send_sigkill);
}

TEST(LadderSchedule, WaitsWithoutClosems) {
  const auto ladder = termination_ladder(milliseconds(0));
  EXPECT_EQ(ladder[0].wait, milliseconds(100));
  EXPECT_EQ(ladder[1].wait, milliseconds(250));
  EXPECT_EQ(ladder[2].wait, milliseconds(500));
  // After SIGKILL we still wait (for the report of a child that did not
  // die), so that wait is not zero.
  EXPECT_GT(ladder[3].wait, milliseconds(0));
}

TEST(LadderSchedule, ClosemsIsAddedToEveryWaitSigkillIncluded) {
  const auto base = termination_ladder(milliseconds(0));
  for (const long grace : {1L, 50L, 2000L, 3'600'000L}) {
    SCOPED_TRACE(grace);
    const auto ladder = termination_ladder(milliseconds(grace));
    EXPECT_EQ(ladder[0].wait, milliseconds(100 + grace));
    EXPECT_EQ(ladder[1].wait, milliseconds(250 + grace));
    EXPECT_EQ(ladder[2].wait, milliseconds(500 + grace));
    EXPECT_EQ(ladder[3].wait, base[3].wait + milliseconds(grace));
  }
}

TEST(LadderSchedule, ActionsDoNotDependOnClosems) {
  const auto base = termination_ladder(milliseconds(0));
  const auto ladder = termination_ladder(milliseconds(1234));
  for (std::size_t i = 0; i < ladder.size(); ++i) {
    EXPECT_EQ(ladder[i].action, base[i].action) << "step " << i;
  }
}

TEST(LadderSchedule, SigkillComesAfter850MsPlusThreeGraces) {
  // docs/compatibility.md, "The termination ladder": close stdin, 100 ms;
  // SIGINT, 250 ms; SIGTERM, 500 ms; SIGKILL, each wait plus --closems.
  for (const long grace : {0L, 10L, 1000L}) {
    const auto ladder = termination_ladder(milliseconds(grace));
    EXPECT_EQ(ladder[0].wait + ladder[1].wait + ladder[2].wait, milliseconds(850 + 3 * grace));
  }
}

TEST(LadderActionName, NamesForTheDebugLog) {
  EXPECT_EQ(ladder_action_name(LadderAction::close_stdin), "close stdin");
  EXPECT_EQ(ladder_action_name(LadderAction::send_sigint), "SIGINT");
  EXPECT_EQ(ladder_action_name(LadderAction::send_sigterm), "SIGTERM");
  EXPECT_EQ(ladder_action_name(LadderAction::send_sigkill), "SIGKILL");
}

}  // namespace
}  // namespace wsexec
