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

TEST(TeardownSweep, AnEntryLeftLinkedIsEndedAfterOneToTwoPeriods) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, kPeriod);
  RecordingEntry entry;
  const auto linked_at = Clock::now();
  sweep.link(entry);
  EXPECT_TRUE(entry.linked());
  EXPECT_EQ(sweep.linked_count(), 1u);

  context.run_for(10 * kPeriod);

  EXPECT_EQ(entry.ended, 1);
  EXPECT_FALSE(entry.linked());
  EXPECT_EQ(sweep.linked_count(), 0u);
  EXPECT_GE(entry.ended_at - linked_at, kPeriod);
  EXPECT_LT(entry.ended_at - linked_at, 2 * kPeriod + 40ms);  // timer slack on a busy machine
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

// Linked while the sweep has already ticked once for an older entry: each
// is ended two ticks after its own link, the newer one a period later.
TEST(TeardownSweep, EachEntryCountsItsTicksFromItsOwnLink) {
  boost::asio::io_context context;
  TeardownSweep sweep(context, kPeriod);
  RecordingEntry older;
  RecordingEntry newer;
  sweep.link(older);
  context.run_for(kPeriod + kPeriod / 2);  // the first tick has passed
  ASSERT_EQ(older.ended, 0);
  sweep.link(newer);

  context.run_for(10 * kPeriod);

  ASSERT_EQ(older.ended, 1);
  ASSERT_EQ(newer.ended, 1);
  EXPECT_GE(newer.ended_at - older.ended_at, kPeriod / 2);
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
