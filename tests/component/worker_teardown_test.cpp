// shut_down_together: at the server's end, the work still pending in every
// worker's loop is destroyed while all the loops exist, including work that
// one loop's destruction hands to another (a resumed event stream on one
// worker lets go of its session on another by posting there).
#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>

#include "server/worker.hpp"

namespace wsexec {
namespace {

using namespace std::chrono_literals;

// Runs `last_words` when destroyed.
class OnDestroy {
 public:
  explicit OnDestroy(std::function<void()> last_words) : last_words_(std::move(last_words)) {}
  OnDestroy(const OnDestroy&) = delete;
  OnDestroy& operator=(const OnDestroy&) = delete;
  ~OnDestroy() { last_words_(); }

 private:
  std::function<void()> last_words_;
};

// Posts to `worker` a handler that owns `owned`; it is never run here (no
// loop runs), only destroyed. `ran` says if it was run after all.
void leave_pending(Worker& worker, std::shared_ptr<OnDestroy> owned, bool& ran) {
  boost::asio::post(worker.context(), [owned = std::move(owned), &ran] { ran = true; });
}

TEST(WorkerTeardown, WorkHandedAcrossLoopsAsItIsDestroyedIsDestroyedBeforeAnyLoopGoes) {
  std::deque<Worker> workers(2);
  bool ran = false;
  int destroyed = 0;
  // workers[1] holds a handler whose destruction posts one to workers[0],
  // whose destruction posts one back to workers[1]: three hops.
  leave_pending(workers[1], std::make_shared<OnDestroy>([&] {
                  ++destroyed;
                  leave_pending(workers[0], std::make_shared<OnDestroy>([&] {
                                  ++destroyed;
                                  leave_pending(workers[1],
                                                std::make_shared<OnDestroy>([&] { ++destroyed; }),
                                                ran);
                                }),
                                ran);
                }),
                ran);

  shut_down_together(workers);

  EXPECT_EQ(destroyed, 3) << "work handed to a loop already shut down was left in it";
  EXPECT_FALSE(ran) << "a shut-down loop ran a handler";
}

TEST(WorkerTeardown, AnotherLoopsTimerHeldByPendingWorkGoesWhileItsLoopIsWhole) {
  // What ASan found at a server's exit: a session on workers[1] held,
  // through its outbox, a timer of workers[0], and freed it after workers[0]
  // was destroyed.
  std::deque<Worker> workers(2);
  bool ran = false;
  bool timer_gone = false;
  auto timer = std::make_shared<boost::asio::steady_timer>(workers[0].context(), 1h);
  timer->async_wait([](boost::system::error_code) {});  // pending on workers[0] too
  leave_pending(workers[1], std::make_shared<OnDestroy>([timer = std::move(timer), &timer_gone] {
                  timer_gone = timer.use_count() == 1;  // the last owner: it goes with us
                }),
                ran);

  shut_down_together(workers);

  EXPECT_TRUE(timer_gone) << "the timer outlived shut_down_together, to go after its loop";
  EXPECT_FALSE(ran);
}

TEST(WorkerTeardown, WorkersStillDestroyCleanlyAfterwards) {
  // shut_down_together, then the workers' own destructors (which shut their
  // loops down again): nothing is destroyed twice, nothing pending is left.
  int destroyed = 0;
  bool ran = false;
  {
    std::deque<Worker> workers(2);
    leave_pending(workers[0], std::make_shared<OnDestroy>([&] { ++destroyed; }), ran);
    shut_down_together(workers);
    EXPECT_EQ(destroyed, 1);
    // Posted after the shutdown: the worker's destructor takes it.
    leave_pending(workers[1], std::make_shared<OnDestroy>([&] { ++destroyed; }), ran);
  }
  EXPECT_EQ(destroyed, 2);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace wsexec
