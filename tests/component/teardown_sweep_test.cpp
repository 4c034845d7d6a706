// TeardownSweep (server/teardown_sweep.hpp): an entry linked and left
// there has its wait ended after one to two periods; one that unlinks, or
// goes, first is never ended; the timer stops once nothing is linked.
#include "server/teardown_sweep.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>

namespace wsexec {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPeriod{50};

// Records when its wait was ended.
class RecordingEntry final : public TeardownSweep::Entry {
 public:
  int ended = 0;
  Clock::time_point ended_at{};

 private:
  void end_wait() noexcept override {
    ++ended;
    ended_at = Clock::now();
  }
};

// Each run_one() below runs one tick (nothing else is queued), so the
// ticks are counted, not timed.
TEST(TeardownSweep, AnEntryLeftLinkedIsEndedAtTheSecondTickAfterItsLink) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, kPeriod);
  RecordingEntry entry;
  const auto linked_at = Clock::now();
  sweep.link(entry);
  EXPECT_TRUE(entry.linked());
  EXPECT_EQ(sweep.linked_count(), 1u);

  ASSERT_EQ(context.run_one(), 1u);  // the first tick
  EXPECT_EQ(entry.ended, 0);
  EXPECT_TRUE(entry.linked());
  ASSERT_EQ(context.run_one(), 1u);  // the second
  EXPECT_EQ(entry.ended, 1);
  EXPECT_FALSE(entry.linked());
  EXPECT_EQ(sweep.linked_count(), 0u);
  EXPECT_GE(entry.ended_at - linked_at,
            2 * kPeriod - 5ms);      // two periods, give or take a clock tick
  EXPECT_EQ(context.run_one(), 0u);  // nothing linked: no tick follows
}

TEST(TeardownSweep, AnEntryThatUnlinksOrGoesFirstIsNeverEnded) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, kPeriod);
  RecordingEntry unlinked;
  auto gone = std::make_unique<RecordingEntry>();
  RecordingEntry kept;
  sweep.link(unlinked);
  sweep.link(*gone);
  sweep.link(kept);
  EXPECT_EQ(sweep.linked_count(), 3u);

  unlinked.unlink();
  gone.reset();  // an entry's destructor unlinks it
  EXPECT_EQ(sweep.linked_count(), 1u);
  context.run_for(10 * kPeriod);

  EXPECT_EQ(unlinked.ended, 0);
  EXPECT_EQ(kept.ended, 1);
}

// Linked after the sweep has ticked once for an older entry: each is
// ended at the second tick after its own link, the newer one a tick later.
TEST(TeardownSweep, EachEntryCountsItsTicksFromItsOwnLink) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, kPeriod);
  RecordingEntry older;
  RecordingEntry newer;
  sweep.link(older);
  ASSERT_EQ(context.run_one(), 1u);  // tick 1
  sweep.link(newer);
  ASSERT_EQ(context.run_one(), 1u);  // tick 2: the older one's second
  EXPECT_EQ(older.ended, 1);
  EXPECT_EQ(newer.ended, 0);
  ASSERT_EQ(context.run_one(), 1u);  // tick 3: the newer one's second
  EXPECT_EQ(newer.ended, 1);
}

// A stopping worker's sweep: its timer goes as soon as nothing is linked,
// so the loop runs out of work at once rather than at the next tick.
TEST(TeardownSweep, FinishingCancelsTheTimerOnceNothingIsLinked) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, 10s);
  auto entry = std::make_unique<RecordingEntry>();
  sweep.link(*entry);
  sweep.finish_when_empty();  // one still linked: the timer stays
  EXPECT_EQ(context.poll(), 0u);
  entry.reset();  // the last goes
  const auto started = Clock::now();
  context.run();  // only the cancelled wait is left
  EXPECT_LT(Clock::now() - started, 1s) << "the loop waited for the tick";
}

// Linking again while linked keeps the entry's first place (and tick).
TEST(TeardownSweep, LinkingALinkedEntryAgainChangesNothing) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, kPeriod);
  RecordingEntry entry;
  sweep.link(entry);
  sweep.link(entry);
  EXPECT_EQ(sweep.linked_count(), 1u);
  context.run_for(10 * kPeriod);
  EXPECT_EQ(entry.ended, 1);
}

// With nothing linked at a tick the timer is not armed again, so the
// io_context runs out of work: an idle worker is not woken every period.
TEST(TeardownSweep, TheTimerStopsOnceNothingIsLinked) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, kPeriod);
  {
    RecordingEntry entry;
    sweep.link(entry);
  }  // gone at once
  const auto started = Clock::now();
  context.run();  // returns once the timer's one tick found the list empty
  EXPECT_LT(Clock::now() - started, 3 * kPeriod + 40ms);
  EXPECT_GE(Clock::now() - started, kPeriod);

  // And a later link starts it again.
  RecordingEntry later;
  sweep.link(later);
  context.restart();
  context.run();
  EXPECT_EQ(later.ended, 1);
}

// Entries outliving their sweep (as a worker's sessions outlive its sweep
// while the io_context is destroyed) are let go unended.
TEST(TeardownSweep, EntriesOutlivingTheSweepAreLetGo) {
  RecordingEntry entry;
  {
    boost::asio::io_context context;
    TeardownSweep sweep(context, kPeriod);
    sweep.link(entry);
  }
  EXPECT_FALSE(entry.linked());
  EXPECT_EQ(entry.ended, 0);
  entry.unlink();  // safe: nothing to do
}

}  // namespace
}  // namespace wsexec
