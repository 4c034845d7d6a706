// Worker::executor(): handlers posted on the worker's thread run in batches
// (HandlerBatch), one turn of the event loop per batch instead of one per
// handler; everything else behaves as the io_context's own executor.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "server/worker.hpp"

namespace wsexec {
namespace {

using namespace std::chrono_literals;

constexpr int kTurn = static_cast<int>(HandlerBatch::kMaxPerTurn);

// Posts a chain of `length` handlers, each posting the next, and counts them.
void post_chain(const boost::asio::any_io_executor& executor, int length, int& ran) {
  if (length == 0) return;
  boost::asio::post(executor, [executor, length, &ran] {
    ++ran;
    post_chain(executor, length - 1, ran);
  });
}

TEST(WorkerExecutor, AChainOfPostsRunsInOneTurnOfTheLoop) {
  Worker worker;
  int ran = 0;
  // Posted from this thread, which is not running the loop: the io_context's queue.
  post_chain(worker.executor(), 10, ran);
  EXPECT_EQ(worker.context().run_one(), 1u);  // the first link, which posts the second
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(worker.context().run_one(), 1u);  // one turn: the other nine links
  EXPECT_EQ(ran, 10);
  worker.context().restart();
  EXPECT_EQ(worker.context().poll(), 0u);  // nothing left behind
}

TEST(WorkerExecutor, ALongChainLetsTheLoopPollBetweenBatches) {
  Worker worker;
  int ran = 0;
  post_chain(worker.executor(), 1 + 2 * kTurn + 5, ran);
  worker.context().run_one();
  worker.context().run_one();
  EXPECT_EQ(ran, 1 + kTurn);  // a turn ends at the bound
  worker.context().run_one();
  EXPECT_EQ(ran, 1 + 2 * kTurn);
  worker.context().run();
  EXPECT_EQ(ran, 1 + 2 * kTurn + 5);
}

TEST(WorkerExecutor, PostsKeepTheirOrder) {
  Worker worker;
  std::vector<int> order;
  const auto executor = worker.executor();
  boost::asio::post(executor, [&] {
    for (int i = 0; i < 5; ++i) boost::asio::post(executor, [&order, i] { order.push_back(i); });
    order.push_back(-1);  // a post never runs inside the handler that posts it
  });
  worker.context().run();
  EXPECT_EQ(order, (std::vector<int>{-1, 0, 1, 2, 3, 4}));
}

TEST(WorkerExecutor, DispatchOnTheWorkersThreadRunsAtOnce) {
  Worker worker;
  std::vector<int> order;
  const auto executor = worker.executor();
  boost::asio::post(executor, [&] {
    boost::asio::dispatch(executor, [&] { order.push_back(1); });
    order.push_back(2);
  });
  worker.context().run();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(WorkerExecutor, PostsFromOtherThreadsReachTheLoop) {
  Worker worker;
  auto guard = boost::asio::make_work_guard(worker.context());
  std::thread loop([&] { worker.context().run(); });
  std::promise<std::thread::id> ran_on;
  std::thread other([&] {
    boost::asio::post(worker.executor(), [&] { ran_on.set_value(std::this_thread::get_id()); });
  });
  other.join();
  auto answer = ran_on.get_future();
  ASSERT_EQ(answer.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(answer.get(), loop.get_id());
  guard.reset();
  loop.join();
}

// The worker's run() on a thread of its own; `returned` is ready once it has
// returned. The destructor stops a loop still running, so a failed test
// does not hang on join().
struct LoopThread {
  // `poll`: Worker::run()'s longest poll before sleeping (--pollus).
  explicit LoopThread(Worker& worker, std::chrono::microseconds poll = 0us)
      : worker(worker), thread([this, poll] {
          this->worker.run(poll);
          finished.set_value();
        }) {}
  ~LoopThread() {
    if (returned.wait_for(0s) != std::future_status::ready) worker.context().stop();
    thread.join();
  }
  Worker& worker;
  std::promise<void> finished;
  std::future<void> returned = finished.get_future();
  std::thread thread;
};

TEST(WorkerExecutor, TrackedWorkKeepsTheLoopRunningUntilReleased) {
  Worker worker;
  auto guard = boost::asio::make_work_guard(worker.executor());
  LoopThread loop(worker);
  EXPECT_EQ(loop.returned.wait_for(100ms), std::future_status::timeout);  // held by the guard
  guard.reset();
  EXPECT_EQ(loop.returned.wait_for(5s), std::future_status::ready);
}

// A guard taken on the worker's own thread is counted by the worker, not the
// io_context (no atomic operation per copy): it must hold run() all the same,
// and let it return once released.
TEST(WorkerExecutor, TrackedWorkTakenOnTheWorkersThreadAlsoKeepsTheLoopRunning) {
  Worker worker;
  using Guard = boost::asio::executor_work_guard<boost::asio::any_io_executor>;
  std::optional<Guard> guard;
  boost::asio::post(worker.executor(), [&] { guard.emplace(worker.executor()); });
  LoopThread loop(worker);
  EXPECT_EQ(loop.returned.wait_for(100ms), std::future_status::timeout);  // held by the guard
  boost::asio::post(worker.context(), [&] { guard.reset(); });            // released on the loop
  EXPECT_EQ(loop.returned.wait_for(5s), std::future_status::ready);
}

// A copy counted by the worker (made on its thread) and destroyed on
// another thread: its decrement is handed back to the worker in a post, so
// the worker's counter is only ever touched by the worker's thread (an SSE
// POST's co_spawn onto another worker ends such a copy on that worker).
TEST(WorkerExecutor, TrackedWorkCountedHereAndReleasedElsewhereIsHandedBack) {
  Worker worker;
  std::optional<boost::asio::any_io_executor> tracked;
  boost::asio::post(worker.executor(), [&] {
    tracked.emplace(
        boost::asio::prefer(worker.executor(), boost::asio::execution::outstanding_work.tracked));
  });
  ASSERT_EQ(worker.context().run_one(), 1u);  // the copy is made on the loop's thread
  ASSERT_TRUE(tracked);
  tracked.reset();  // destroyed here, outside the loop
  EXPECT_EQ(worker.context().poll_one(), 1u) << "the decrement did not wait for the loop";
  worker.context().restart();
  const auto started = std::chrono::steady_clock::now();
  worker.context().run_for(2s);  // returns at once unless some work was left counted
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "the loop is still held";
}

TEST(WorkerExecutor, TimersAndBatchedHandlersBothRun) {
  Worker worker;
  const auto executor = worker.executor();
  boost::asio::steady_timer timer(executor, 1ms);
  bool fired = false;
  int ran = 0;
  timer.async_wait([&](boost::system::error_code error) { fired = !error; });
  post_chain(executor, 3 * kTurn, ran);
  worker.context().run_for(5s);
  EXPECT_TRUE(fired);
  EXPECT_EQ(ran, 3 * kTurn);
}

TEST(WorkerExecutor, AThrowingHandlerLeavesTheRestForTheNextRun) {
  Worker worker;
  std::vector<int> order;
  const auto executor = worker.executor();
  boost::asio::post(executor, [&] {
    boost::asio::post(executor, [] { throw std::runtime_error("handler failed"); });
    boost::asio::post(executor, [&] { order.push_back(2); });
  });
  EXPECT_THROW(worker.context().run(), std::runtime_error);
  EXPECT_TRUE(order.empty());
  worker.context().restart();
  worker.context().run();
  EXPECT_EQ(order, (std::vector<int>{2}));
}

TEST(WorkerExecutor, HandlersStillPendingAreDestroyedWithTheWorker) {
  auto owner = std::make_shared<int>(0);
  std::weak_ptr<int> watch = owner;
  {
    Worker worker;
    auto executor = worker.executor();
    boost::asio::post(executor, [executor, held = std::move(owner)]() mutable {
      boost::asio::post(executor, [held = std::move(held)] {});
    });
    worker.context().run_one();  // the batch now holds the second handler, never run
    EXPECT_FALSE(watch.expired());
  }
  EXPECT_TRUE(watch.expired());
}

// Worker::run() with polling before it sleeps (--pollus): the loop's
// behaviour must not change, only how it waits.

TEST(WorkerRun, PollingRunsEveryHandlerAndReturnsOnceOutOfWork) {
  Worker worker;
  int ran = 0;
  boost::asio::steady_timer timer(worker.context());
  std::function<void(boost::system::error_code)> next = [&](boost::system::error_code ec) {
    if (ec || ++ran == 20) return;
    timer.expires_after(1ms);  // each link comes after an idle spell
    timer.async_wait(next);
  };
  boost::asio::post(worker.executor(), [&] { next({}); });
  // Spells of 1 ms, within the longest window: the window grows and the
  // worker polls through them.
  LoopThread loop(worker, 10000us);
  ASSERT_EQ(loop.returned.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(ran, 20);
}

// Posts `count` handlers that count themselves to `worker` from this
// thread, `gap(i)` apart: each gap is an idle spell for the worker.
template <typename Gap>
void post_spaced(Worker& worker, int count, std::atomic<int>& ran, Gap gap) {
  for (int i = 0; i < count; ++i) {
    boost::asio::post(worker.executor(), [&ran] { ++ran; });
    std::this_thread::sleep_for(gap(i));
  }
}

// Asked to stop while it polls (work came every 300 µs, so its window has
// grown past that) or while it sleeps: either way it returns.
TEST(WorkerRun, PollingEndsWhenTheLoopIsStopped) {
  Worker worker;
  auto guard = boost::asio::make_work_guard(worker.context());
  std::atomic<int> ran{0};
  LoopThread loop(worker, 10000us);
  post_spaced(worker, 30, ran, [](int) { return 300us; });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (ran.load() < 30 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50us);
  }
  EXPECT_EQ(ran.load(), 30);
  EXPECT_EQ(loop.returned.wait_for(0s), std::future_status::timeout);  // held by the guard
  worker.context().stop();
  EXPECT_EQ(loop.returned.wait_for(5s), std::future_status::ready);
}

TEST(WorkerRun, HandlersPostedFromAnotherThreadRunWhileItPolls) {
  Worker worker;
  auto guard = boost::asio::make_work_guard(worker.context());
  std::atomic<int> ran{0};
  LoopThread loop(worker, 10000us);
  post_spaced(worker, 200, ran,
              [](int i) { return std::chrono::microseconds(50 + (i % 7) * 100); });
  boost::asio::post(worker.context(), [&] { guard.reset(); });
  ASSERT_EQ(loop.returned.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(ran.load(), 200);
}

// How often the worker's thread went to sleep (voluntary context switches;
// a sched_yield() is not one) while 200 handlers came 100 µs apart.
long sleeps_while_work_trickles_in(std::chrono::microseconds poll) {
  Worker worker;
  auto guard = boost::asio::make_work_guard(worker.context());
  std::atomic<int> ran{0};
  long at_start = 0, at_end = 0;
  auto switches = [] {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw;
  };
  boost::asio::post(worker.context(), [&] { at_start = switches(); });
  LoopThread loop(worker, poll);
  post_spaced(worker, 200, ran, [](int) { return 100us; });
  boost::asio::post(worker.context(), [&] {
    at_end = switches();
    guard.reset();
  });
  EXPECT_EQ(loop.returned.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(ran.load(), 200);
  return at_end - at_start;
}

// The point of polling: work that comes soon after the worker ran out finds
// it awake instead of asleep in epoll_wait.
TEST(WorkerRun, PollingKeepsTheWorkerAwakeForWorkThatComesSoon) {
  const long without = sleeps_while_work_trickles_in(0us);
  const long with = sleeps_while_work_trickles_in(10000us);
  EXPECT_GE(without, 100) << "each gap should have put the old loop to sleep";
  EXPECT_LT(with * 2, without) << "polling slept " << with << " times, the old loop " << without;
}

}  // namespace
}  // namespace wsexec
