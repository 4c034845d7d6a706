// Worker::retire: the end of a finished session waits for the next
// connection's spawn request (run_retired) or, with none coming, a short
// delay; never longer, and never lost.
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <vector>

#include "server/worker.hpp"

namespace wsexec {
namespace {

using namespace std::chrono_literals;

TEST(WorkerRetire, RetiredWorkWaitsForRunRetiredAndRunsInOrder) {
  Worker worker;
  std::vector<int> ran;
  boost::asio::post(worker.context(), [&] {
    worker.retire([&] { ran.push_back(1); });
    worker.retire([&] { ran.push_back(2); });
    EXPECT_TRUE(ran.empty());  // not run by retire() itself
    worker.run_retired();      // what a new connection does once its spawn is asked for
    EXPECT_EQ(ran, (std::vector<int>{1, 2}));
    worker.run_retired();  // nothing twice
  });
  worker.context().run();  // returns once the cancelled delay has completed
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TEST(WorkerRetire, WithNoNewConnectionRetiredWorkRunsAfterAShortDelay) {
  Worker worker;
  bool ran = false;
  const auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration waited{};
  boost::asio::post(worker.context(), [&] {
    worker.retire([&] {
      ran = true;
      waited = std::chrono::steady_clock::now() - start;
    });
  });
  worker.context().run_for(5s);  // run() would also end: the delay is the only work
  EXPECT_TRUE(ran);
  EXPECT_GE(waited, 1ms);  // it did wait
  EXPECT_LT(waited, 1s);   // and not long
}

TEST(WorkerRetire, RetiredWorkStillPendingIsDestroyedWithTheWorker) {
  auto owner = std::make_shared<int>(0);
  std::weak_ptr<int> watch = owner;
  {
    Worker worker;
    worker.retire([held = std::move(owner)] {});
  }  // never run: the loop never ran
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace wsexec
