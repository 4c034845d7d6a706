// The numbered events of one SSE session, and what a resume can get back.
#include "core/sse_event_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wsexec {
namespace {

void append_numbered(SseEventLog& log, int count) {
  for (int i = 0; i < count; ++i) {
    log.append(SessionEvent::Kind::text, "e" + std::to_string(log.next_id()) + ";");
  }
}

// The texts of the events taken, joined, each checked against its id.
std::string take_joined(SseEventLog& log) {
  std::string joined;
  for (const SessionEvent& event : log.take_unsent()) {
    EXPECT_EQ(event.text, "e" + std::to_string(event.id) + ";");
    joined += event.text;
  }
  return joined;
}

TEST(SseEventLog, EventsAreNumberedFromZeroAndTakenOnceInOrder) {
  SseEventLog log(0);
  append_numbered(log, 3);
  EXPECT_EQ(log.unsent_bytes(), 9u);
  EXPECT_EQ(take_joined(log), "e0;e1;e2;");
  EXPECT_EQ(take_joined(log), "");
  append_numbered(log, 1);
  EXPECT_EQ(take_joined(log), "e3;");
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
  EXPECT_EQ(take_joined(log), "e0;e1;e2;e3;");
}

TEST(SseEventLog, AResumeGetsEverythingAfterItsLastSeenIdAgain) {
  SseEventLog log(1000);
  append_numbered(log, 4);
  log.take_unsent();
  ASSERT_TRUE(log.rewind_to(1));
  EXPECT_EQ(log.unsent_bytes(), 6u);
  append_numbered(log, 1);
  EXPECT_EQ(take_joined(log), "e2;e3;e4;");
}

TEST(SseEventLog, AResumeFromTheLastSentIdGetsOnlyWhatIsNew) {
  SseEventLog log(1000);
  append_numbered(log, 2);
  log.take_unsent();
  ASSERT_TRUE(log.rewind_to(1));
  EXPECT_EQ(take_joined(log), "");
}

TEST(SseEventLog, SentEventsBeyondTheBudgetAreDroppedOldestFirst) {
  SseEventLog log(6);  // two events of three bytes
  append_numbered(log, 4);
  log.take_unsent();
  EXPECT_EQ(log.held_bytes(), 6u);
  EXPECT_FALSE(log.rewind_to(0));  // e1 is gone
  ASSERT_TRUE(log.rewind_to(1));   // e2 and e3 are held
  EXPECT_EQ(take_joined(log), "e2;e3;");
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

TEST(SseEventLog, EventsKeepTheirKindAndCode) {
  SseEventLog log(1000);
  log.append(SessionEvent::Kind::session, "{}");
  log.append(SessionEvent::Kind::binary, std::string("\0\1", 2));
  log.append(SessionEvent::Kind::close, "exit 3", 1000);
  const auto events = log.take_unsent();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, SessionEvent::Kind::session);
  EXPECT_EQ(events[1].kind, SessionEvent::Kind::binary);
  EXPECT_EQ(events[1].text, std::string("\0\1", 2));
  EXPECT_EQ(events[2].kind, SessionEvent::Kind::close);
  EXPECT_EQ(events[2].code, 1000u);
  EXPECT_EQ(events[2].id, 2u);
}

}  // namespace
}  // namespace wsexec
