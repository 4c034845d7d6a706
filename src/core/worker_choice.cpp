#include "core/worker_choice.hpp"

#include <algorithm>

namespace wsexec {

std::size_t choose_worker(std::span<const std::size_t> loads, std::size_t slack) {
  if (loads.empty()) return 0;
  const auto least = std::min_element(loads.begin(), loads.end());
  if (loads[0] <= *least + slack) return 0;
  return static_cast<std::size_t>(least - loads.begin());
}

}  // namespace wsexec
