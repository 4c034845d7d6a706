// Worker::run() with polling on (--pollus): out of work, the worker polls
// before it sleeps, except for a while after one of its connections asked
// for a program (Worker::program_requested), when it sleeps at once and
// leaves the cores to the program's start. Seen in how many idle spells
// over a chain of timers the worker polled in: a count, not CPU time,
// which depends on what else the machine is running.
#include <gtest/gtest.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

#include "server/worker.hpp"

namespace wsexec {
namespace {

using namespace std::chrono_literals;

constexpr int kTimers = 100;

// `kTimers` timers, each 500 µs after the last one's handler, on a worker
// polling for up to 10 ms; `program_requested`: each handler says a
// connection asked for its program. The idle spells the worker polled in.
std::size_t polling_spells_over_timer_chain(bool program_requested) {
  Worker worker;
  boost::asio::steady_timer timer(worker.context());
  int left = kTimers;
  std::function<void(boost::system::error_code)> next = [&](boost::system::error_code) {
    if (program_requested) worker.program_requested();
    if (--left == 0) return;
    timer.expires_after(500us);
    timer.async_wait(next);
  };
  timer.expires_after(500us);
  timer.async_wait(next);
  worker.run(10000us);  // returns once the chain is over
  EXPECT_EQ(left, 0);
  return worker.polling_spells();
}

TEST(WorkerIdlePoll, AfterAProgramIsAskedForTheWorkerSleepsInsteadOfPolling) {
  // Without requests the window opens after the first spell (500 µs of
  // idling is within the 10 ms limit) and stays open: nearly every spell
  // polls, however busy the machine (a spell needs four in a row over
  // 10 ms to halve the window).
  const auto without_requests = polling_spells_over_timer_chain(false);
  EXPECT_GT(without_requests, std::size_t{kTimers / 2});
  // With a request in every handler, each spell begins within 10 ms of the
  // last request, so none polls; a handful may, if the machine stalls the
  // thread for 10 ms between a handler and the idle check.
  const auto with_requests = polling_spells_over_timer_chain(true);
  EXPECT_LT(with_requests, std::size_t{5}) << "out of " << without_requests << " without requests";
}

}  // namespace
}  // namespace wsexec
