#pragma once
// The one timer of a session with --idlems or --lifetimems. A message only
// stamps the time (note_activity(): a clock read, no timer operation); the
// timer wakes at the earliest deadline that could have passed, and the pure
// check_session_timeouts() decides whether one has or when to look again.
// So a busy session costs nothing per message and a quiet one wakes once
// per --idlems.
//
// Shared, and its wait holds it weakly: the session owns it, and a wake-up
// already queued when the session ends finds it gone and does nothing.
// Runs on the session's executor only.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "core/session_timeouts.hpp"

namespace wsexec {

class SessionTimer : public std::enable_shared_from_this<SessionTimer> {
 public:
  using Clock = std::chrono::steady_clock;
  using OnTimeout = std::function<void(SessionTimeout)>;

  // Starts counting now; `on_timeout` runs once, when a limit has passed.
  static std::shared_ptr<SessionTimer> start(const boost::asio::any_io_executor& executor,
                                             SessionTimeoutPolicy policy, OnTimeout on_timeout);

  SessionTimer(const boost::asio::any_io_executor& executor, SessionTimeoutPolicy policy,
               OnTimeout on_timeout);

  // A message went one way or the other.
  void note_activity() { last_activity_ = Clock::now(); }

 private:
  void wait_until(Clock::time_point when);
  void on_wake();

  boost::asio::steady_timer timer_;
  SessionTimeoutPolicy policy_;
  OnTimeout on_timeout_;
  Clock::time_point started_;
  Clock::time_point last_activity_;
};

}  // namespace wsexec
