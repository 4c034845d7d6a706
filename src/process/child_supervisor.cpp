#include "process/child_supervisor.hpp"

#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/limits.hpp"
#include "core/termination_ladder.hpp"
#include "server/log.hpp"
#include "server/worker.hpp"

namespace wsexec {

namespace asio = boost::asio;

ChildSupervisor::ChildSupervisor(std::unique_ptr<ChildProcess> child, ForkSlot slot,
                                 std::chrono::milliseconds close_grace, std::string log_context)
    : child_(std::move(child)),
      slot_(std::move(slot)),
      close_grace_(close_grace),
      log_context_(std::move(log_context)),
      ladder_timer_(child_->stdout_pipe().get_executor()) {}

namespace {

void log_reaped(const std::string& log_context, pid_t pid, int status) {
  if (log::enabled(LogLevel::debug)) {
    log::write(LogLevel::debug, "process", log_context,
               "child " + std::to_string(pid) + " " + describe_wait_status(status));
  }
}

// What a supervisor leaves behind when it ends before its child: the child,
// killed, and the --maxforks slot, held until the child is reaped. Runs
// when the event loop sees the pidfd readable (the child is then a zombie,
// so the waitpid returns at once).
struct ReapWhenExited {
  std::optional<ForkSlot> slot;
  std::unique_ptr<ChildProcess> child;  // after `slot`: destroyed first
  std::string log_context;

  void operator()() {
    const pid_t pid = child->pid();
    log_reaped(log_context, pid, child->reap());
    slot.reset();
  }
  // Destroyed unrun when the event loop is torn down first: `child`'s
  // destructor hands it to the reaper thread, and the slot goes with the
  // loop (no connection can ask for one any more).
};

// Whether a handler can still run on `executor`: true on the loop's own
// thread while it runs; false when the loop is being torn down (its handlers
// are destroyed on the thread that destroys it). This used to ask for the
// io_context's executor type with any_executor::target<T>(), which in Boost
// 1.74 does not check the type: a worker's executor (BatchingExecutor) was
// read as the wrong type and answered false, so every forced teardown in the
// server handed its child to the reaper thread and released the --maxforks
// slot before the reap.
bool on_running_loop(const asio::any_io_executor& executor) {
  return runs_on_this_thread(executor);
}

}  // namespace

// Never waits for the child: a child killed here may take long to die (in
// uninterruptible sleep, a hung NFS read), and this runs on a worker. Its
// reaping, and the release of its slot after it, happen on the event loop
// when it exits.
ChildSupervisor::~ChildSupervisor() {
  if (exited_) {
    const pid_t pid = child_->pid();
    log_reaped(log_context_, pid, child_->reap());  // a zombie already: no wait
    slot_.reset();  // explicit: the slot outlives the reaping, never the reverse
    return;
  }
  child_->signal_group(SIGKILL);
  if (!on_running_loop(ladder_timer_.get_executor())) {
    child_->kill_and_reap_in_background();
    return;
  }
  ChildProcess& child = *child_;
  child.async_wait_exit(ReapWhenExited{std::move(slot_), std::move(child_), log_context_});
}

// `on_exit` lives in the pending wait, not in this object: it usually holds
// its owner (the session, which holds us) alive, and a member would make
// that a cycle no one breaks when a worker is stopped by force. In the wait
// it is destroyed with the event loop's pending work, and the two go.
void ChildSupervisor::watch(std::function<void()> on_exit) {
  child_->async_wait_exit([self = shared_from_this(), on_exit = std::move(on_exit)]() mutable {
    self->on_exited();
    // Released after the call: the callback may hold its owner alive.
    auto call = std::move(on_exit);
    if (call) call();
  });
}

void ChildSupervisor::on_exited() {
  exited_ = true;
  program_exit_ = child_->peek_exit();
  ladder_timer_.cancel();
}

void ChildSupervisor::terminate() {
  if (ladder_started_) return;
  ladder_started_ = true;
  asio::co_spawn(
      ladder_timer_.get_executor(), [self = shared_from_this()] { return self->run_ladder(); },
      asio::detached);
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
      case LadderAction::send_sigint:
        child_->signal_group(SIGINT);
        break;
      case LadderAction::send_sigterm:
        child_->signal_group(SIGTERM);
        break;
      case LadderAction::send_sigkill:
        child_->signal_group(SIGKILL);
        break;
    }
    if (log::enabled(LogLevel::debug)) {
      log::write(LogLevel::debug, "process", log_context_,
                 "ladder: " + std::string(ladder_action_name(step.action)));
    }
    if (step.action == LadderAction::close_stdin && stdin_taken_) {
      co_await wait_while_stdin_is_read(step.wait);
    } else {
      co_await wait_for_exit(step.wait);
    }
  }
  if (!exited_)
    log::write(LogLevel::error, "process", log_context_, "child did not exit after SIGKILL");
}

asio::awaitable<void> ChildSupervisor::wait_for_exit(std::chrono::milliseconds wait) {
  ladder_timer_.expires_after(wait);
  boost::system::error_code ignored;  // cancelled: the child exited, checked by the caller
  co_await ladder_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

// The wait after closing stdin, a window at a time: on while the child
// took some of what it was sent in the window before; once it has taken
// all (its EOF given), one window more for it to exit. A child that takes
// nothing in a whole window is on to the next step, as one that never
// reads its stdin is. At most longest_wait_while_read_ in all
// (limits::kLadderWhileReadingMax): a program that reads a trickle for
// ever is still ended.
asio::awaitable<void> ChildSupervisor::wait_while_stdin_is_read(std::chrono::milliseconds window) {
  std::optional<std::uint64_t> taken = stdin_taken_();
  const auto give_up_at = std::chrono::steady_clock::now() + longest_wait_while_read_;
  for (;;) {
    co_await wait_for_exit(window);
    if (exited_ || !taken || std::chrono::steady_clock::now() >= give_up_at) co_return;
    const std::optional<std::uint64_t> now = stdin_taken_();
    if (now && *now == *taken) co_return;
    taken = now;
  }
}

}  // namespace wsexec
