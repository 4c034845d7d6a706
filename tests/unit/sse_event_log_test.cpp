// The numbered events of one SSE session, and what a resume can get back.
#include "core/sse_event_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wsexec {
namespace {

void append_numbered(SseEventLog& log, int count) {
  for (int i = 0; i < count; ++i) log.append("e" + std::to_string(log.next_id()) + ";");
}

TEST(SseEventLog, EventsAreNumberedFromZeroAndTakenOnceInOrder) {
  SseEventLog log(0);
  append_numbered(log, 3);
  EXPECT_EQ(log.unsent_bytes(), 9u);
  EXPECT_EQ(log.take_unsent(), "e0;e1;e2;");
  EXPECT_EQ(log.take_unsent(), "");
  append_numbered(log, 1);
  EXPECT_EQ(log.take_unsent(), "e3;");
}

TEST(SseEventLog, WithoutARetainBudgetSentEventsAreDropped) {
  SseEventLog log(0);
  append_numbered(log, 2);
  log.take_unsent();
  EXPECT_EQ(log.held_bytes(), 0u);
  EXPECT_FALSE(log.rewind_to(0));
}

TEST(SseEventLog, UnsentEventsAreKeptWhateverTheBudget) {
  SseEventLog log(1);
  append_numbered(log, 4);
  EXPECT_EQ(log.held_bytes(), 12u);
  EXPECT_EQ(log.take_unsent(), "e0;e1;e2;e3;");
}

TEST(SseEventLog, AResumeGetsEverythingAfterItsLastSeenIdAgain) {
  SseEventLog log(1000);
  append_numbered(log, 4);
  log.take_unsent();
  ASSERT_TRUE(log.rewind_to(1));
  EXPECT_EQ(log.unsent_bytes(), 6u);
  append_numbered(log, 1);
  EXPECT_EQ(log.take_unsent(), "e2;e3;e4;");
}

TEST(SseEventLog, AResumeFromTheLastSentIdGetsOnlyWhatIsNew) {
  SseEventLog log(1000);
  append_numbered(log, 2);
  log.take_unsent();
  ASSERT_TRUE(log.rewind_to(1));
  EXPECT_EQ(log.take_unsent(), "");
}

TEST(SseEventLog, SentEventsBeyondTheBudgetAreDroppedOldestFirst) {
  SseEventLog log(6);  // two events of three bytes
  append_numbered(log, 4);
  log.take_unsent();
  EXPECT_EQ(log.held_bytes(), 6u);
  EXPECT_FALSE(log.rewind_to(0));  // e1 is gone
  ASSERT_TRUE(log.rewind_to(1));   // e2 and e3 are held
  EXPECT_EQ(log.take_unsent(), "e2;e3;");
}

TEST(SseEventLog, AnIdNeverSentCannotBeResumedFrom) {
  SseEventLog log(1000);
  append_numbered(log, 3);
  EXPECT_FALSE(log.rewind_to(0));  // nothing was sent yet
  log.take_unsent();
  EXPECT_FALSE(log.rewind_to(3));
  EXPECT_FALSE(log.rewind_to(99));
  EXPECT_TRUE(log.rewind_to(2));
}

}  // namespace
}  // namespace wsexec
