// PipeGrowthBudget (process/pipe_capacity.hpp): a bulk stream's pipe grows
// only while the server has fewer than its maximum of grown pipes, holds
// its share while it lives, and a pipe the kernel will not grow is not
// asked again.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <utility>

#include "process/pipe_capacity.hpp"

namespace wsexec {
namespace {

constexpr std::size_t kBulk = 256 * 1024;

struct Pipe {
  Pipe() { EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0); }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  long capacity() const { return ::fcntl(fds[0], F_GETPIPE_SZ); }
  int fds[2] = {-1, -1};
};

TEST(PipeGrowthBudget, GrowsAPipeAndGivesItsShareBackWhenDestroyed) {
  PipeGrowthBudget budget(2);
  Pipe pipe;
  const long before = pipe.capacity();
  {
    const PipeGrowth growth = budget.grow(pipe.fds[1], kBulk);
    EXPECT_TRUE(growth.grown());
    EXPECT_TRUE(growth.settled());
    EXPECT_EQ(pipe.capacity(), static_cast<long>(kBulk));
    EXPECT_GT(pipe.capacity(), before);
    EXPECT_EQ(budget.grown(), 1u);
  }
  EXPECT_EQ(budget.grown(), 0u);
}

TEST(PipeGrowthBudget, AFullBudgetLeavesThePipeAsItIsAndLetsALaterTryIn) {
  PipeGrowthBudget budget(1);
  Pipe first, second;
  const long default_capacity = second.capacity();
  PipeGrowth held = budget.grow(first.fds[0], kBulk);
  ASSERT_TRUE(held.grown());

  PipeGrowth waiting = budget.grow(second.fds[0], kBulk);
  EXPECT_FALSE(waiting.grown());
  EXPECT_FALSE(waiting.settled()) << "a full budget is no refusal: try again later";
  EXPECT_EQ(second.capacity(), default_capacity);
  EXPECT_EQ(budget.grown(), 1u);

  held = PipeGrowth();  // the first stream ends
  EXPECT_EQ(budget.grown(), 0u);
  waiting = budget.grow(second.fds[0], kBulk);
  EXPECT_TRUE(waiting.grown());
  EXPECT_EQ(second.capacity(), static_cast<long>(kBulk));
}

TEST(PipeGrowthBudget, AKernelRefusalIsSettledAndHoldsNothing) {
  PipeGrowthBudget budget(4);
  const int not_a_pipe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(not_a_pipe, 0);
  const PipeGrowth growth = budget.grow(not_a_pipe, kBulk);
  ::close(not_a_pipe);
  EXPECT_FALSE(growth.grown());
  EXPECT_TRUE(growth.settled()) << "asking again would only fail again";
  EXPECT_EQ(budget.grown(), 0u);
}

// A program may have grown its own pipe further: growing never shrinks it,
// and takes nothing from the budget.
TEST(PipeGrowthBudget, APipeAlreadyLargerIsLeftAsItIs) {
  PipeGrowthBudget budget(4);
  Pipe pipe;
  ASSERT_GE(::fcntl(pipe.fds[1], F_SETPIPE_SZ, static_cast<int>(2 * kBulk)), 0);
  const PipeGrowth growth = budget.grow(pipe.fds[1], kBulk);
  EXPECT_FALSE(growth.grown());
  EXPECT_TRUE(growth.settled());
  EXPECT_EQ(pipe.capacity(), static_cast<long>(2 * kBulk));
  EXPECT_EQ(budget.grown(), 0u);
}

TEST(PipeGrowthBudget, AMovedGrowthGivesItsShareBackOnce) {
  PipeGrowthBudget budget(2);
  Pipe pipe;
  PipeGrowth growth = budget.grow(pipe.fds[0], kBulk);
  ASSERT_TRUE(growth.grown());
  PipeGrowth moved(std::move(growth));
  PipeGrowth assigned;
  assigned = std::move(moved);
  EXPECT_EQ(budget.grown(), 1u);
  assigned = PipeGrowth();
  EXPECT_EQ(budget.grown(), 0u);
}

}  // namespace
}  // namespace wsexec
