#include "server/worker.hpp"

#include <sched.h>

#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <thread>
#include <typeinfo>

#include "core/idle_poll.hpp"
#include "core/limits.hpp"
#include "server/batching_executor.hpp"

namespace wsexec {

namespace {
// Long enough for a client that reconnects at once to get its 101 first,
// short enough that a DISCONNECT line and a reap are not visibly late.
constexpr std::chrono::milliseconds kRetireDelay{2};
// How long after asking for a program the worker sleeps when idle instead
// of polling: longer than a small program's start (cat: about 1 ms; a
// shell script: a few), short enough that polling is back soon for the
// round trips of the sessions already running.
constexpr std::chrono::milliseconds kNoPollAfterProgramRequest{10};
}  // namespace

std::size_t worker_count() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

// Concurrency hint 1: one thread runs it, Asio may skip locks. The timer
// makes Asio create the worker's epoll, eventfd and timerfd now rather than
// with its first connection, so the server's own descriptors are all open
// from the start (a worker may see its first connection late: see
// choose_worker).
Worker::Worker() : context_(1), teardown_sweep_(context_, limits::kTeardownSweepPeriod) {
  boost::asio::steady_timer create_reactor_now(context_);
}

// Handlers still in the batch hold sessions, whose sockets and pipes need
// the io_context to close: they go first. What the io_context itself still
// holds goes with it, the batch (which its executors point to) after it.
Worker::~Worker() {
  batch_.discard();
}

void Worker::shut_down() {
  batch_.discard();
  // Safe to repeat: Boost 1.74's services shut down again harmlessly, as
  // the io_context's destructor will do once more.
  context_.shutdown();
}

void shut_down_together(std::deque<Worker>& workers) {
  // Each round ends one link of a chain of loops handing each other work as
  // it is destroyed. The longest known is two (a resumed stream's release,
  // posted to its session's loop); one round more, for a chain not known.
  constexpr int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    for (Worker& worker : workers) worker.shut_down();
  }
}

// any_executor::target<T>() in Boost 1.74 casts without checking the type
// (later versions return null on a mismatch), so the type is compared first.
bool runs_on_this_thread(const boost::asio::any_io_executor& executor) {
  using Plain = boost::asio::io_context::executor_type;
  using Tracked = decltype(boost::asio::prefer(std::declval<Plain>(),
                                               boost::asio::execution::outstanding_work.tracked));
  const std::type_info& type = executor.target_type();
  if (type == typeid(BatchingExecutor))
    return executor.target<BatchingExecutor>()->running_in_this_thread();
  if (type == typeid(Plain)) return executor.target<Plain>()->running_in_this_thread();
  if (type == typeid(Tracked)) return executor.target<Tracked>()->running_in_this_thread();
  return false;
}

void Worker::run(std::chrono::microseconds longest_poll) {
  if (longest_poll <= std::chrono::microseconds::zero()) {
    context_.run();
    return;
  }
  using Clock = std::chrono::steady_clock;
  IdlePoll idle_poll(longest_poll);
  while (true) {
    if (context_.poll() > 0) continue;  // it ran something: look again at once
    if (context_.stopped()) return;     // stopped, or out of work for good
    const auto idle_since = Clock::now();
    // A program starting: its exec and loader want the cores, and a
    // worker that polls through that wait is the one the scheduler makes
    // wait next, for the 101 (docs/performance.md, "No polling while a
    // program starts"). Such a spell teaches IdlePoll nothing.
    if (idle_since - last_program_request_ < kNoPollAfterProgramRequest) {
      if (context_.run_one() == 0) return;
      continue;
    }
    const auto until = idle_since + idle_poll.window();
    if (idle_poll.window() > IdlePoll::Duration::zero()) ++polling_spells_;
    // When work came: at the latest when the poll that found it started (so
    // the time its handlers took is not counted as idle), or when the sleep
    // below ended, which counts the one handler run_one() runs: a handler
    // longer than --pollus can make a short spell look long, and four in a
    // row halve the window.
    std::optional<Clock::time_point> found_at;
    while (!found_at && !context_.stopped()) {
      const auto now = Clock::now();
      if (now >= until) break;
      // What else is runnable on this core (a program this worker has just
      // written to) goes first: polling only takes time nobody wants.
      ::sched_yield();
      const auto poll_started = Clock::now();
      if (context_.poll() > 0) found_at = poll_started;
    }
    if (!found_at) {
      // Nothing came in the window: sleep until something does.
      if (context_.run_one() == 0) return;
      found_at = Clock::now();
    }
    idle_poll.was_idle_for(std::chrono::duration_cast<IdlePoll::Duration>(*found_at - idle_since));
  }
}

boost::asio::any_io_executor Worker::executor() {
  return boost::asio::any_io_executor(BatchingExecutor(batch_));
}

void Worker::retire(std::function<void()> work) {
  retired_.push_back(std::move(work));
  if (retired_.size() > 1) return;
  retire_timer_.expires_after(kRetireDelay);
  retire_timer_.async_wait([this](boost::system::error_code error) {
    if (!error) run_retired();
  });
}

void Worker::run_retired() {
  if (retired_.empty()) return;
  retire_timer_.cancel();
  auto work = std::move(retired_);
  retired_.clear();
  for (auto& step : work) step();
}

}  // namespace wsexec
