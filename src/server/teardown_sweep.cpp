#include "server/teardown_sweep.hpp"

namespace wsexec {

void TeardownSweep::Entry::unlink() noexcept {
  if (!sweep_) return;
  TeardownSweep& sweep = *sweep_;
  (previous_ ? previous_->next_ : sweep.first_) = next_;
  (next_ ? next_->previous_ : sweep.last_) = previous_;
  previous_ = next_ = nullptr;
  sweep_ = nullptr;
  --sweep.linked_;
  if (sweep.finishing_ && !sweep.first_) sweep.stop_ticking();
}

TeardownSweep::TeardownSweep(boost::asio::io_context& context, std::chrono::milliseconds period)
    : period_(period), timer_(context) {}

TeardownSweep::~TeardownSweep() {
  while (first_) first_->unlink();
}

void TeardownSweep::finish_when_empty() noexcept {
  finishing_ = true;
  if (!first_) stop_ticking();
}

void TeardownSweep::stop_ticking() noexcept {
  if (!ticking_) return;
  ticking_ = false;
  timer_.cancel();
}

void TeardownSweep::link(Entry& entry) noexcept {
  if (entry.sweep_) return;
  entry.sweep_ = this;
  entry.previous_ = nullptr;
  entry.next_ = first_;
  (first_ ? first_->previous_ : last_) = &entry;
  first_ = &entry;
  entry.linked_at_tick_ = tick_;
  ++linked_;
  // The first entry since the list last stood empty at a tick: count from
  // here. A busy worker keeps the timer going, one wake-up a period.
  if (!ticking_) arm();
}

void TeardownSweep::arm() {
  ticking_ = true;
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) on_tick();
  });
}

void TeardownSweep::on_tick() {
  ++tick_;
  // The oldest are at the end; an entry linked at tick T has seen two
  // ticks at T + 2, one to two periods after it was linked.
  while (last_ && tick_ - last_->linked_at_tick_ >= 2) {
    Entry& entry = *last_;
    entry.unlink();
    entry.end_wait();
  }
  ticking_ = false;
  if (first_) arm();
}

}  // namespace wsexec
