// Worker::run() with polling on (--pollus): out of work, the worker polls
// before it sleeps, except for a while after one of its connections asked
// for a program (Worker::program_requested), when it sleeps at once and
// leaves the cores to the program's start. Seen in the CPU time the loop's
// thread spends over a chain of timers whose gaps polling would cover.
#include <gtest/gtest.h>
#include <time.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

#include "server/worker.hpp"

namespace wsexec {
namespace {

using namespace std::chrono_literals;

std::chrono::microseconds thread_cpu_time() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) + std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::nanoseconds(now.tv_nsec));
}

// `count` timers, each `gap` after the last one's handler, on a worker
// polling for up to 10 ms; `program_requested`: each handler says a
// connection asked for its program. The CPU time of the loop's thread.
std::chrono::microseconds cpu_for_timer_chain(bool program_requested) {
  constexpr int kCount = 100;
  constexpr auto kGap = 500us;
  Worker worker;
  boost::asio::steady_timer timer(worker.context());
  int left = kCount;
  std::function<void(boost::system::error_code)> next = [&](boost::system::error_code) {
    if (program_requested) worker.program_requested();
    if (--left == 0) return;
    timer.expires_after(kGap);
    timer.async_wait(next);
  };
  timer.expires_after(kGap);
  timer.async_wait(next);
  const auto before = thread_cpu_time();
  worker.run(10000us);  // returns once the chain is over
  EXPECT_EQ(left, 0);
  return thread_cpu_time() - before;
}

TEST(WorkerIdlePoll, AfterAProgramIsAskedForTheWorkerSleepsInsteadOfPolling) {
  const auto polling = cpu_for_timer_chain(false);
  const auto sleeping = cpu_for_timer_chain(true);
  // Polling grows its window over the first spells and then covers each
  // 500 µs gap: about 45 ms over the chain when the thread has a core to
  // itself, less when it yields it to others.
  EXPECT_GT(polling, 4ms) << "the worker did not poll: nothing to compare";
  EXPECT_LT(sleeping * 3, polling) << "polling " << polling.count() << " µs of CPU, after "
                                   << "program requests " << sleeping.count() << " µs";
}

}  // namespace
}  // namespace wsexec
