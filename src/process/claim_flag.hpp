#pragma once
// One holder at a time, taken on one thread and given back on another (a
// spawn helper: a worker takes it, a spawner thread may give it back).
// The interface of std::binary_semaphore, which it replaces: libstdc++ 12's
// semaphore makes a futex call on every release, whether anyone waits or
// not, three per connection in churn (perf trace). An atomic's notify makes
// one only while a thread is waiting.
#include <atomic>

namespace wsexec {

class ClaimFlag {
 public:
  bool try_acquire() {
    int expected = 0;
    return held_.compare_exchange_strong(expected, 1, std::memory_order_acquire,
                                         std::memory_order_relaxed);
  }

  // Blocks until it is ours.
  void acquire() {
    while (!try_acquire()) held_.wait(1, std::memory_order_relaxed);
  }

  void release() {
    held_.store(0, std::memory_order_release);
    held_.notify_one();
  }

 private:
  std::atomic<int> held_{0};  // int: the type the futex waits on directly
};

}  // namespace wsexec
