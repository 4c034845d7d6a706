#pragma once
// One child program: spawned in its own process group with stdin, stdout
// and stderr on pipes, its exit noticed through a pidfd (O(1) per child, no
// SIGCHLD scan), and reaped exactly once.
#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/exit_status.hpp"
#include "process/owned_fd.hpp"
#include "process/spawn_request.hpp"
#include "process/wait_status.hpp"

namespace wsexec {

// A child just started: its pid, pidfd and our pipe ends, each owned here
// until a ChildProcess takes it over. Made on any thread
// (ChildProcess::start), then adopted by a ChildProcess on the worker that
// owns the connection. One that is never adopted (its connection went away
// meanwhile) gets SIGKILL to its group and is reaped in the background, and
// its descriptors are closed.
class StartedChild {
 public:
  StartedChild() = default;
  StartedChild(pid_t pid, OwnedFd pidfd, OwnedFd stdin_write, OwnedFd stdout_read,
               OwnedFd stderr_read)
      : pid_(pid),
        pidfd_(std::move(pidfd)),
        stdin_(std::move(stdin_write)),
        stdout_(std::move(stdout_read)),
        stderr_(std::move(stderr_read)) {}
  StartedChild(StartedChild&& other) noexcept { take(other); }
  StartedChild& operator=(StartedChild&& other) noexcept {
    if (this != &other) {
      discard();
      take(other);
    }
    return *this;
  }
  ~StartedChild() { discard(); }
  explicit operator bool() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  friend class ChildProcess;
  void take(StartedChild& other) noexcept;
  void discard() noexcept;

  pid_t pid_ = -1;
  OwnedFd pidfd_;
  OwnedFd stdin_;
  OwnedFd stdout_;
  OwnedFd stderr_;
};

// A child on its way: the first half of a start, done where waiting is not
// allowed (its descriptors made, its request handed to a spawn helper that
// was free), finished where it is (ChildProcess::finish_start).
class ChildLaunch {
 public:
  ChildLaunch(ChildLaunch&&) noexcept;
  ChildLaunch& operator=(ChildLaunch&&) noexcept;
  ~ChildLaunch();
  // The socket the helper answers on, when a helper took the request; -1
  // otherwise.
  int answer_socket() const;

 private:
  friend class ChildProcess;
  struct Parts;
  explicit ChildLaunch(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

class ChildProcess {
 public:
  using Pipe = boost::asio::posix::stream_descriptor;

  // Starts the child; safe on any thread. On failure the result is empty
  // and `error` says why (exec's errno included: start_program reports it).
  // `on_worker`: the caller is a worker, which must never wait for a busy
  // spawn helper (it may hold one itself, its answer waiting in the
  // worker's own event loop): with none free it starts the child directly.
  static StartedChild start(const SpawnRequest& request, std::error_code& error,
                            bool on_worker = false);
  // start() in two halves, for a worker that asks and a spawner thread that
  // waits: begin_start makes the child's descriptors and, when a spawn
  // helper is free at once, sends it the request, so the helper clones
  // while the worker goes on; it never waits, and keeps any error for
  // finish_start. finish_start (on a thread that may wait) reads the
  // helper's answer, or starts the child as start() does when no helper
  // took it. Together they keep start()'s contract.
  static ChildLaunch begin_start(const SpawnRequest& request);
  static StartedChild finish_start(ChildLaunch launch, const SpawnRequest& request,
                                   std::error_code& error);
  // For a worker, once launch.answer_socket() is readable: finish_start
  // without waiting, or nullopt when that needs a thread that may wait (the
  // helper died; it is being replaced). `launch` is spent unless nullopt.
  static std::optional<StartedChild> try_finish_start_now(ChildLaunch& launch,
                                                          std::error_code& error);
  // The helper did not answer in time: it is replaced, and finish_start
  // asks the replacement.
  static void give_up_on_answer(ChildLaunch& launch);
  // Takes a started child over on `executor`'s thread. Registering its
  // descriptors with the event loop can fail (epoll_ctl: ENOMEM, ENOSPC):
  // then the child is killed with its group and reaped in the background,
  // every descriptor is closed once, and the result is nullptr with `error`
  // set.
  static std::unique_ptr<ChildProcess> adopt(const boost::asio::any_io_executor& executor,
                                             StartedChild started, std::error_code& error);
  // The same, throwing std::system_error instead. Kept for callers not yet
  // moved to the overload above: thrown from a posted handler, it would end
  // the server.
  static std::unique_ptr<ChildProcess> adopt(const boost::asio::any_io_executor& executor,
                                             StartedChild started);
  // start() and adopt() in one, on the caller's thread, a worker's (CGI):
  // it never waits for a busy spawn helper. On failure returns nullptr and
  // sets `error`.
  static std::unique_ptr<ChildProcess> spawn(const boost::asio::any_io_executor& executor,
                                             const SpawnRequest& request, std::error_code& error);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // Last resort only: a child still unreaped here gets SIGKILL to its group
  // and is reaped in the background (reap_in_background), so no zombie
  // survives an unexpected teardown and no worker waits for a slow death.
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  Pipe& stdin_pipe() { return stdin_; }
  Pipe& stdout_pipe() { return stdout_; }
  Pipe& stderr_pipe() { return stderr_; }

  // EOF on the child's stdin: the first, gentlest step of the ladder.
  void close_stdin();

  // Sends `signal` to the child's whole process group, so what it started
  // (a `sleep` in a script) gets it too. Safe until reaped: the group id is
  // the child's pid, which the kernel does not reuse before we reap it.
  void signal_group(int signal);

  // For a session whose client is gone once the child has exited: what is
  // left of its process group (a background job still holding stdout) is
  // killed and our pipe ends are closed, so the pumps' waits end and the
  // session can. Before reap() only: the group id cannot have been reused.
  void release_after_exit();

  // Calls `on_exit()` once the child has exited (it is then a zombie, not
  // reaped), or when the wait is cancelled by reap(). A plain callback: the
  // wait lasts the child's whole life, and a coroutine frame for it would
  // cost every idle connection memory.
  template <typename OnExit>
  void async_wait_exit(OnExit on_exit) {
    // A pidfd becomes readable when the process exits.
    pidfd_.async_wait(
        Pipe::wait_read,
        [on_exit = std::move(on_exit)](const boost::system::error_code&) mutable { on_exit(); });
  }

  // Collects the exit status; call once the child has exited (it blocks
  // until then). Returns the raw wait status.
  int reap();
  bool reaped() const { return reaped_; }

  // How the child ended, read without reaping it (waitid with WNOWAIT), so
  // its pid stays ours and its group can still be signalled. nullopt while
  // it runs, once reaped, or if the kernel cannot say.
  std::optional<ProgramExit> peek_exit() const;

  // For a child that must end now: SIGKILL to its group, then reaped by the
  // reaper thread, without waiting here. Afterwards reaped() is true: the
  // child is no longer ours to signal or reap. A pending async_wait_exit is
  // cancelled, so its callback runs although the child may not have
  // exited: call this only when no one will reap() after that callback.
  void kill_and_reap_in_background();

 private:
  explicit ChildProcess(const boost::asio::any_io_executor& executor);

  pid_t pid_ = -1;
  bool reaped_ = false;
  boost::asio::posix::stream_descriptor pidfd_;
  Pipe stdin_;
  Pipe stdout_;
  Pipe stderr_;
};

}  // namespace wsexec
