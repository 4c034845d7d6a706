#include "core/fair_input.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wsexec {
namespace {

TEST(FairInput, OneMessagePerSourcePerRound) {
  FairInput input;
  for (int i = 0; i < 3; ++i) input.push(1, "busy" + std::to_string(i) + "\n");
  input.push(2, "quiet\n");
  std::string out;
  input.take_turns(1 << 20, out);
  // The quiet source's message goes second, not after the busy one's flood.
  EXPECT_EQ(out, "busy0\nquiet\nbusy1\nbusy2\n");
  EXPECT_TRUE(input.empty());
  EXPECT_EQ(input.queued_bytes(), 0u);
}

TEST(FairInput, StopsAtTheBudgetWithWholeMessagesOnly) {
  FairInput input;
  input.push(1, "aaaa\n");
  input.push(2, "bbbb\n");
  input.push(3, "cccc\n");
  std::string out;
  const auto taken = input.take_turns(7, out);
  EXPECT_EQ(out, "aaaa\nbbbb\n");  // the budget is passed by a whole message, never split
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(input.queued_bytes(), 5u);
  out.clear();
  input.take_turns(7, out);
  EXPECT_EQ(out, "cccc\n");
}

TEST(FairInput, AMessageLongerThanTheBudgetStillGoes) {
  FairInput input;
  input.push(1, std::string(100, 'x'));
  std::string out;
  input.take_turns(10, out);
  EXPECT_EQ(out.size(), 100u);
}

TEST(FairInput, TheNextCallResumesTheRotation) {
  FairInput input;
  input.push(1, "a1");
  input.push(1, "a2");
  input.push(2, "b1");
  input.push(2, "b2");
  std::string out;
  input.take_turns(1, out);  // one message: a1
  input.take_turns(1, out);  // then b's turn, not a's again
  EXPECT_EQ(out, "a1b1");
}

TEST(FairInput, ReportsTheBytesTakenPerSource) {
  FairInput input;
  input.push(7, "abc");
  input.push(7, "de");
  input.push(9, "f");
  std::string out;
  const auto taken = input.take_turns(1 << 20, out);
  ASSERT_EQ(taken.size(), 2u);
  for (const auto& [source, bytes] : taken) {
    EXPECT_EQ(bytes, source == 7 ? 5u : 1u) << "source " << source;
  }
}

TEST(FairInput, ClearReturnsWhatEachSourceLost) {
  FairInput input;
  input.push(1, "abc");
  input.push(2, "de");
  const auto dropped = input.clear();
  EXPECT_TRUE(input.empty());
  EXPECT_EQ(input.queued_bytes(), 0u);
  std::size_t total = 0;
  for (const auto& [source, bytes] : dropped) total += bytes;
  EXPECT_EQ(total, 5u);
}

}  // namespace
}  // namespace wsexec
