#pragma once
// Growing a child's pipe for a bulk stream (limits::kBulkPipeBytes), within
// a server-wide budget of grown pipes (limits::kMaxGrownPipes).
//
// Why a budget: the kernel charges a pipe's capacity, not what it holds,
// against the user's pipe budget (/proc/sys/fs/pipe-user-pages-soft, 16,384
// pages by default), and past it an unprivileged user's new pipes get two
// pages each. A default pipe is 16 pages, a grown one 64: without a bound,
// a server running as an ordinary user with a hundred bulk streams would
// push every later connection onto two-page pipes. With it, grown pipes
// take at most kMaxGrownPipes x 48 extra pages of it.
#include <atomic>
#include <cstddef>

namespace wsexec {

class PipeGrowthBudget;

// One pipe's growth: holds its share of the budget while the pipe is grown,
// and gives it back when destroyed.
class PipeGrowth {
 public:
  PipeGrowth() = default;
  PipeGrowth(PipeGrowth&& other) noexcept;
  PipeGrowth& operator=(PipeGrowth&& other) noexcept;
  PipeGrowth(const PipeGrowth&) = delete;
  PipeGrowth& operator=(const PipeGrowth&) = delete;
  ~PipeGrowth();

  bool grown() const noexcept { return budget_ != nullptr; }
  // Grown, refused by the kernel (over the user's pipe budget, above
  // /proc/sys/fs/pipe-max-size), no pipe at all (a terminal) or already as
  // large: nothing to try again. Not settled while the server's budget was full: a later
  // attempt may find room.
  bool settled() const noexcept { return grown() || refused_; }

 private:
  friend class PipeGrowthBudget;
  void give_back() noexcept;

  PipeGrowthBudget* budget_ = nullptr;
  bool refused_ = false;
};

class PipeGrowthBudget {
 public:
  explicit PipeGrowthBudget(std::size_t max_grown) : max_grown_(max_grown) {}
  PipeGrowthBudget(const PipeGrowthBudget&) = delete;
  PipeGrowthBudget& operator=(const PipeGrowthBudget&) = delete;

  // Grows the pipe `fd` (either end) to `bytes` if it is smaller and fewer
  // than max_grown pipes are grown now. The share is held until the token
  // is destroyed: with the pump or the feeder, so with the session, after
  // the program has exited (the pipe's other end).
  PipeGrowth grow(int fd, std::size_t bytes);
  std::size_t grown() const noexcept { return grown_.load(std::memory_order_relaxed); }

 private:
  friend class PipeGrowth;
  std::size_t max_grown_;
  std::atomic<std::size_t> grown_{0};
};

// The server's budget: limits::kMaxGrownPipes.
PipeGrowthBudget& pipe_growth_budget();

}  // namespace wsexec
