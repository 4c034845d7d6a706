#pragma once
// A started child's life: the watch for its exit, the termination ladder
// when it must end, and the reaping. Shared by the WebSocket session and the
// CGI runner, so both end children the same way.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/limits.hpp"
#include "process/child_process.hpp"
#include "server/server_state.hpp"

namespace wsexec {

class ChildSupervisor : public std::enable_shared_from_this<ChildSupervisor> {
 public:
  // Takes the child and the --maxforks slot it uses; the slot is released
  // once the child is reaped, or by release_slot_after_exit().
  // `log_context` prefixes its log lines.
  ChildSupervisor(std::unique_ptr<ChildProcess> child, ForkSlot slot,
                  std::chrono::milliseconds close_grace, std::string log_context);
  // Reaps the child, and then releases the slot. One still running (only
  // on a forced teardown) gets SIGKILL to its group and is reaped when it
  // exits, without waiting here.
  ~ChildSupervisor();

  ChildProcess& child() { return *child_; }
  bool exited() const { return exited_; }
  // For an owner whose session is over once the child has exited, and who
  // defers the rest (its group's kill, the reap) by a moment: the child
  // runs no more, so its --maxforks slot is free now. Before the exit,
  // nothing: a running child keeps its slot.
  void release_slot_after_exit() {
    if (exited_) slot_.reset();
  }
  // How it ended, read when its exit was seen (not yet reaped then), so
  // the session can tell the client and the log; nullopt before that.
  const std::optional<ProgramExit>& program_exit() const { return program_exit_; }

  // Starts watching for the exit; `on_exit` runs once, on the child's
  // executor, when it has exited (it is then a zombie: its group can still
  // be signalled safely).
  void watch(std::function<void()> on_exit);

  // Replaces the ladder's first step (by default the stdin pipe is closed
  // at once): the WebSocket session first writes what the client sent.
  // Called with the child; it may run after the caller is gone.
  void on_close_stdin(std::function<void(ChildProcess&)> close_stdin) {
    close_stdin_ = std::move(close_stdin);
  }
  // With the above: how many bytes of its stdin the child has taken while
  // it is being closed, nullopt once closed (StdinFeeder::
  // taken_while_closing). The ladder's first wait goes on while this grows,
  // for at most `longest` (a test passes a shorter one).
  void on_stdin_progress(std::function<std::optional<std::uint64_t>()> taken,
                         std::chrono::milliseconds longest = limits::kLadderWhileReadingMax) {
    stdin_taken_ = std::move(taken);
    longest_wait_while_read_ = longest;
  }

  // Starts the ladder (close stdin, SIGINT, SIGTERM, SIGKILL to the group,
  // each followed by a wait that the exit cuts short). Later calls do nothing.
  void terminate();
  bool terminating() const { return ladder_started_; }

 private:
  void on_exited();
  boost::asio::awaitable<void> run_ladder();
  boost::asio::awaitable<void> wait_for_exit(std::chrono::milliseconds wait);
  boost::asio::awaitable<void> wait_while_stdin_is_read(std::chrono::milliseconds window);

  std::unique_ptr<ChildProcess> child_;
  std::optional<ForkSlot> slot_;
  std::chrono::milliseconds close_grace_;
  std::string log_context_;
  boost::asio::steady_timer ladder_timer_;
  std::function<void(ChildProcess&)> close_stdin_;
  std::function<std::optional<std::uint64_t>()> stdin_taken_;
  std::chrono::milliseconds longest_wait_while_read_{0};
  std::optional<ProgramExit> program_exit_;
  bool exited_ = false;
  bool ladder_started_ = false;
};

}  // namespace wsexec
