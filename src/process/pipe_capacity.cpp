#include "process/pipe_capacity.hpp"

#include <fcntl.h>

#include <utility>

#include "core/limits.hpp"

namespace wsexec {

PipeGrowth::PipeGrowth(PipeGrowth&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), refused_(other.refused_) {}

PipeGrowth& PipeGrowth::operator=(PipeGrowth&& other) noexcept {
  if (this != &other) {
    give_back();
    budget_ = std::exchange(other.budget_, nullptr);
    refused_ = other.refused_;
  }
  return *this;
}

PipeGrowth::~PipeGrowth() {
  give_back();
}

void PipeGrowth::give_back() noexcept {
  if (budget_) budget_->grown_.fetch_sub(1, std::memory_order_relaxed);
  budget_ = nullptr;
}

PipeGrowth PipeGrowthBudget::grow(int fd, std::size_t bytes) {
  PipeGrowth growth;
  // The budget first: a bulk stream finding it full asks again at every
  // full read, and must not pay a system call each time.
  std::size_t now = grown_.load(std::memory_order_relaxed);
  do {
    if (now >= max_grown_) return growth;  // full: not settled, a later try may fit
  } while (!grown_.compare_exchange_weak(now, now + 1, std::memory_order_relaxed));
  // Never a shrink: a program may have grown its own pipe further.
  const int capacity = ::fcntl(fd, F_GETPIPE_SZ);
  const bool needed = capacity >= 0 && static_cast<std::size_t>(capacity) < bytes;
  if (!needed || ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes)) < 0) {
    // No pipe (a terminal), already as large, or refused: nothing to try again.
    grown_.fetch_sub(1, std::memory_order_relaxed);
    growth.refused_ = true;
    return growth;
  }
  growth.budget_ = this;
  return growth;
}

PipeGrowthBudget& pipe_growth_budget() {
  static PipeGrowthBudget budget(limits::kMaxGrownPipes);
  return budget;
}

}  // namespace wsexec
