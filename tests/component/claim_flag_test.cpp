// ClaimFlag: one holder at a time, a blocked taker woken by the release.
#include "process/claim_flag.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace wsexec {
namespace {

using namespace std::chrono_literals;

TEST(ClaimFlag, HasOneHolderAtATime) {
  ClaimFlag flag;
  EXPECT_TRUE(flag.try_acquire());
  EXPECT_FALSE(flag.try_acquire());
  flag.release();
  EXPECT_TRUE(flag.try_acquire());
}

TEST(ClaimFlag, AReleaseOnAnotherThreadWakesTheOneWaiting) {
  ClaimFlag flag;
  ASSERT_TRUE(flag.try_acquire());
  std::atomic<bool> taken{false};
  std::thread waiter([&] {
    flag.acquire();
    taken = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(taken.load());  // still held by us
  flag.release();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!taken.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(taken.load());
  if (!taken.load()) flag.release();  // let the thread end rather than hang the suite
  waiter.join();
  EXPECT_FALSE(flag.try_acquire());  // the waiter holds it now
}

TEST(ClaimFlag, ThreadsTakingItInTurnNeverHoldItTogether) {
  ClaimFlag flag;
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  int turns = 0;  // guarded by the flag alone
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        flag.acquire();
        const int now = ++inside;
        if (now > most_inside.load()) most_inside = now;
        ++turns;
        --inside;
        flag.release();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(most_inside.load(), 1);
  EXPECT_EQ(turns, 4 * 20000);
}

}  // namespace
}  // namespace wsexec
