#pragma once
// How long a worker that has run out of work keeps polling for more before
// it goes to sleep (--pollus). Pure: durations in, a duration out.
//
// Why poll at all: a thread that sleeps in epoll_wait leaves its core
// idle, and an idle core halts. On a virtual machine, waking a halted
// virtual CPU is the slow part of a request/response exchange: the host
// has to run it again, 20-40 µs measured on the benchmark machine and now
// and then milliseconds (the outliers of the latency scenario), against
// about 2 µs when the thread is still running. A client or a program that
// answers within a few tens of microseconds (the next message of a
// conversation, a close handshake, a reconnect) then finds the worker
// awake.
//
// Why adaptive: polling that finds nothing is CPU thrown away. The window
// follows the recent idle spells, as the kernel's haltpoll governor sizes
// its own polling:
// - work came within the window: the window stays;
// - work came after the window but within the longest window: a longer
//   window would have caught it, so it doubles (from kFirstWindow);
// - work came only after the longest window (an idle connection, a
//   program that takes a while): polling was wasted; after
//   kLongSpellsPerHalving such spells in a row the window halves, down to
//   nothing.
// A server idle for a while does not poll (after a burst, at most
// 4 x (100 + 50 + ... + 1) µs, about 0.8 ms, with the default), and one
// whose work comes further apart than the longest window soon stops.
#include <algorithm>
#include <chrono>

namespace wsexec {

class IdlePoll {
 public:
  using Duration = std::chrono::microseconds;
  // The smallest window once it grows: a window of 1 µs would take many
  // spells of doubling before it caught the first answer.
  static constexpr Duration kFirstWindow{8};
  // Long idle spells in a row that halve the window. Not every one: a
  // conversation has one long spell (the client thinking, the program
  // working) between short ones (the answers), and polling through the
  // short ones is the point.
  static constexpr unsigned kLongSpellsPerHalving = 4;

  // `longest`: the widest window; zero (or less) turns polling off.
  explicit IdlePoll(Duration longest) : longest_(std::max(longest, Duration::zero())) {}

  // How long to poll before sleeping, now.
  Duration window() const { return window_; }

  // The worker was idle for `idle` (polling, then sleeping if the poll
  // found nothing) until work came.
  void was_idle_for(Duration idle) {
    if (idle > longest_) {
      if (++long_spells_ % kLongSpellsPerHalving == 0) window_ /= 2;
      return;
    }
    long_spells_ = 0;
    if (idle > window_) window_ = std::min(std::max(window_ * 2, kFirstWindow), longest_);
  }

 private:
  Duration longest_;
  Duration window_{0};
  unsigned long_spells_ = 0;  // idle spells in a row longer than the longest window
};

}  // namespace wsexec
