#include "http/wait_deadline.hpp"

namespace wsexec {

WaitDeadline::WaitDeadline(const boost::asio::any_io_executor& executor,
                           boost::asio::steady_timer::time_point at,
                           std::function<void()> on_expiry)
    : state_(std::make_shared<State>()), timer_(executor, at) {
  state_->on_expiry = std::move(on_expiry);
  timer_.async_wait([state = state_](const boost::system::error_code& ec) {
    // The settled flag, not the error code, says who won: a handler queued
    // with success can still come after settle().
    if (ec || state->settled) return;
    state->settled = true;
    state->expired = true;
    auto on_expiry = std::move(state->on_expiry);
    on_expiry();
  });
}

WaitDeadline::~WaitDeadline() {
  settle();
}

bool WaitDeadline::settle() {
  if (state_->settled) return !state_->expired;
  state_->settled = true;
  state_->on_expiry = nullptr;  // lets go of what it held (the child, say)
  timer_.cancel();
  return true;
}

}  // namespace wsexec
