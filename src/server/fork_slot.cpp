#include "server/fork_slot.hpp"

#include "server/server_state.hpp"

namespace wsexec {

std::optional<ForkSlot> ForkSlot::try_acquire(ServerState& state) {
  const unsigned limit = state.config.max_forks;
  auto& counter = state.live_children;
  unsigned current = counter.load(std::memory_order_relaxed);
  do {
    if (limit != 0 && current >= limit) return std::nullopt;
  } while (!counter.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return ForkSlot(&counter);
}

}  // namespace wsexec
