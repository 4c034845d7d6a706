#include "core/session_timeouts.hpp"

#include <algorithm>

namespace wsexec {

SessionTimeoutCheck check_session_timeouts(const SessionTimeoutPolicy& policy,
                                           std::chrono::steady_clock::time_point started,
                                           std::chrono::steady_clock::time_point last_activity,
                                           std::chrono::steady_clock::time_point now) {
  using TimePoint = std::chrono::steady_clock::time_point;
  const bool has_lifetime = policy.lifetime.count() > 0;
  const bool has_idle = policy.idle.count() > 0;
  const TimePoint lifetime_end = started + policy.lifetime;
  const TimePoint idle_end = std::max(last_activity, started) + policy.idle;
  if (has_lifetime && now >= lifetime_end) return {SessionTimeout::lifetime, {}};
  if (has_idle && now >= idle_end) return {SessionTimeout::idle, {}};
  if (has_lifetime && has_idle) return {SessionTimeout::none, std::min(lifetime_end, idle_end)};
  return {SessionTimeout::none, has_lifetime ? lifetime_end : idle_end};
}

std::string_view session_timeout_reason(SessionTimeout timeout) {
  switch (timeout) {
    case SessionTimeout::idle:
      return "idle";
    case SessionTimeout::lifetime:
      return "lifetime";
    case SessionTimeout::none:
      break;
  }
  return "";
}

}  // namespace wsexec
