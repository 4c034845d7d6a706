#pragma once
// One --maxforks slot, held from the upgrade (or the CGI request) until the
// child is reaped, so the limit counts children that still hold a process
// table entry, not sessions. The exception: a session that is over lets go
// of it when its program exits, as its reap waits a moment on the worker
// (ChildSupervisor::release_slot_after_exit).
#include <atomic>
#include <optional>
#include <utility>

namespace wsexec {

struct ServerState;

class ForkSlot {
 public:
  // nullopt when --maxforks children are already running.
  static std::optional<ForkSlot> try_acquire(ServerState& state);
  ForkSlot(ForkSlot&& other) noexcept : counter_(std::exchange(other.counter_, nullptr)) {}
  ForkSlot& operator=(ForkSlot&&) = delete;
  ~ForkSlot() {
    if (counter_) counter_->fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  explicit ForkSlot(std::atomic<unsigned>* counter) : counter_(counter) {}
  std::atomic<unsigned>* counter_;
};

}  // namespace wsexec
