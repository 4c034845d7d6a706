#include "process/child_supervisor.hpp"

#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/log.hpp"
#include "core/termination_ladder.hpp"

namespace wsexec {

namespace asio = boost::asio;

ChildSupervisor::ChildSupervisor(std::unique_ptr<ChildProcess> child, ForkSlot slot,
                                 std::chrono::milliseconds close_grace, std::string log_context)
    : child_(std::move(child)),
      slot_(std::move(slot)),
      close_grace_(close_grace),
      log_context_(std::move(log_context)),
      ladder_timer_(child_->stdout_pipe().get_executor()) {}

ChildSupervisor::~ChildSupervisor() {
  if (!exited_) child_->signal_group(SIGKILL);
  const pid_t pid = child_->pid();
  const int status = child_->reap();
  if (log::enabled(LogLevel::debug)) {
    log::write(LogLevel::debug, "process", log_context_,
               "child " + std::to_string(pid) + " " + describe_wait_status(status));
  }
  slot_.reset();  // explicit: the slot outlives the reaping, never the reverse
}

void ChildSupervisor::watch(std::function<void()> on_exit) {
  on_exit_ = std::move(on_exit);
  child_->async_wait_exit([self = shared_from_this()] { self->on_exited(); });
}

void ChildSupervisor::on_exited() {
  exited_ = true;
  ladder_timer_.cancel();
  // Released after the call: the callback may hold its owner alive.
  auto on_exit = std::exchange(on_exit_, nullptr);
  if (on_exit) on_exit();
}

void ChildSupervisor::terminate() {
  if (ladder_started_) return;
  ladder_started_ = true;
  asio::co_spawn(ladder_timer_.get_executor(),
                 [self = shared_from_this()] { return self->run_ladder(); }, asio::detached);
}

asio::awaitable<void> ChildSupervisor::run_ladder() {
  for (const LadderStep& step : termination_ladder(close_grace_)) {
    if (exited_) co_return;
    switch (step.action) {
      case LadderAction::close_stdin:
        if (close_stdin_) {
          close_stdin_(*child_);
        } else {
          child_->close_stdin();
        }
        break;
      case LadderAction::send_sigint: child_->signal_group(SIGINT); break;
      case LadderAction::send_sigterm: child_->signal_group(SIGTERM); break;
      case LadderAction::send_sigkill: child_->signal_group(SIGKILL); break;
    }
    if (log::enabled(LogLevel::debug)) {
      log::write(LogLevel::debug, "process", log_context_,
                 "ladder: " + std::string(ladder_action_name(step.action)));
    }
    ladder_timer_.expires_after(step.wait);
    boost::system::error_code ignored;  // cancelled: the child exited, checked at the top
    co_await ladder_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (!exited_) log::write(LogLevel::error, "process", log_context_, "child did not exit after SIGKILL");
}

}  // namespace wsexec
