#include "websocket/session_timer.hpp"

#include <utility>

namespace wsexec {

std::shared_ptr<SessionTimer> SessionTimer::start(const boost::asio::any_io_executor& executor,
                                                  SessionTimeoutPolicy policy,
                                                  OnTimeout on_timeout) {
  auto timer = std::make_shared<SessionTimer>(executor, policy, std::move(on_timeout));
  timer->on_wake();  // nothing has passed yet: arms the first deadline
  return timer;
}

SessionTimer::SessionTimer(const boost::asio::any_io_executor& executor,
                           SessionTimeoutPolicy policy, OnTimeout on_timeout)
    : timer_(executor),
      policy_(policy),
      on_timeout_(std::move(on_timeout)),
      started_(Clock::now()),
      last_activity_(started_) {}

void SessionTimer::wait_until(Clock::time_point when) {
  timer_.expires_at(when);
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    // Cancelled only by the timer's destruction: the session has ended.
    if (!self || ec) return;
    self->on_wake();
  });
}

void SessionTimer::on_wake() {
  const SessionTimeoutCheck check =
      check_session_timeouts(policy_, started_, last_activity_, Clock::now());
  if (check.expired == SessionTimeout::none) return wait_until(check.next_check);
  // Released before the call: the callback may end the session, and us.
  auto on_timeout = std::exchange(on_timeout_, nullptr);
  if (on_timeout) on_timeout(check.expired);
}

}  // namespace wsexec
