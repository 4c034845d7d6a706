#pragma once
// --idlems and --lifetimems: when a WebSocket session must be closed, and
// when to look again. Pure, so the schedule is unit tested.
//
// The session keeps one timer and a last-activity time stamp. A message
// only writes the stamp (no timer is re-armed per message: with 10,000
// busy sessions that would be a timer-queue operation per message); when
// the timer fires, check_session_timeouts() says whether a limit has passed
// and, if not, when the earliest one could.
#include <chrono>
#include <string_view>

namespace wsexec {

struct SessionTimeoutPolicy {
  std::chrono::milliseconds idle{0};      // --idlems; 0 = no idle limit
  std::chrono::milliseconds lifetime{0};  // --lifetimems; 0 = no lifetime limit
  bool any() const { return idle.count() > 0 || lifetime.count() > 0; }
};

// One byte: the session keeps which one closed it.
enum class SessionTimeout : unsigned char { none, idle, lifetime };

struct SessionTimeoutCheck {
  SessionTimeout expired = SessionTimeout::none;
  // When to check again (meaningful only while nothing expired).
  std::chrono::steady_clock::time_point next_check;
};

// `started`: when the session connected; `last_activity`: the last message
// either way (`started` if none yet). When both limits have passed, the
// lifetime is named: it is the harder rule.
SessionTimeoutCheck check_session_timeouts(const SessionTimeoutPolicy& policy,
                                           std::chrono::steady_clock::time_point started,
                                           std::chrono::steady_clock::time_point last_activity,
                                           std::chrono::steady_clock::time_point now);

// "idle", "lifetime": the close frame's reason and the log's.
std::string_view session_timeout_reason(SessionTimeout timeout);

}  // namespace wsexec
