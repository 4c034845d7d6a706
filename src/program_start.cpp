#include "program_start.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <memory>

namespace wsexec {
namespace {

// What the child does between clone() and exec, and where it says why exec
// failed. It runs in our memory (CLONE_VM) on a stack of its own while the
// spawning thread waits (CLONE_VFORK), so it may only make system calls: no
// allocation, no locks, nothing that touches state another thread may hold.
struct ExecPlan {
  const char* path;
  char* const* argv;
  char* const* envp;
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
  int exec_errno = 0;  // set by the child when exec fails
};

// The server ignores SIGPIPE and handles INT/TERM/HUP. An ignored signal
// would stay ignored across exec, and a handler of ours must not run in the
// child before exec, so these go back to their defaults first (exec resets
// every other handled signal by itself).
constexpr int kSignalsToDefault[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD};

// Puts `from` at `to` for the child; dup2 onto itself would keep close-on-exec.
void place_descriptor(int from, int to) {
  if (from == to) {
    ::fcntl(to, F_SETFD, 0);
  } else {
    ::dup2(from, to);
  }
}

// Closes every descriptor from 3 up; the loop is for kernels before 5.9.
void close_from_three() {
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  for (rlim_t fd = 3; fd < limit.rlim_cur; ++fd) ::close(static_cast<int>(fd));
}

int exec_in_child(void* plan_pointer) {
  ExecPlan& plan = *static_cast<ExecPlan*>(plan_pointer);
  // Every signal is blocked here: the parent blocked them around clone.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal : kSignalsToDefault) ::sigaction(signal, &default_action, nullptr);
  // A process group of its own: the ladder signals the whole group, and a
  // Ctrl-C meant for the server does not hit every child directly.
  ::setpgid(0, 0);
  place_descriptor(plan.stdin_fd, STDIN_FILENO);
  place_descriptor(plan.stdout_fd, STDOUT_FILENO);
  place_descriptor(plan.stderr_fd, STDERR_FILENO);
  // Belt and braces: whatever the server holds (Asio does not open accepted
  // sockets close-on-exec), the child sees only 0, 1 and 2.
  close_from_three();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(plan.path, plan.argv, plan.envp);
  plan.exec_errno = errno;  // read by the parent once we are gone
  ::_exit(127);
}

// The stack the child runs on until exec: one per spawning thread, made
// once. posix_spawn maps and unmaps one per call, and while the server's
// other threads run, each unmap is a TLB shootdown on the other cores:
// measured, a spawn took 75 us longer in a process with a second busy
// thread, and 15 us longer with this stack instead.
char* child_stack_top() {
  constexpr std::size_t kStackBytes = 64 * 1024;
  thread_local std::unique_ptr<char[]> stack;
  if (!stack) stack = std::make_unique<char[]>(kStackBytes);
  return stack.get() + kStackBytes;  // stacks grow down; new[] is 16-byte aligned
}

}  // namespace

StartedProgram start_program(const char* path, char* const argv[], char* const envp[],
                             int stdin_fd, int stdout_fd, int stderr_fd, std::error_code& error) {
  ExecPlan plan{path, argv, envp, stdin_fd, stdout_fd, stderr_fd};
  // Blocked until the child has reset its dispositions: a signal arriving
  // in between must not run one of our handlers on the child's side.
  sigset_t all, previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  int pidfd = -1;
  const pid_t pid = ::clone(exec_in_child, child_stack_top(),
                            CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &plan, &pidfd);
  const int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) {
    error.assign(clone_errno, std::system_category());
    return {};
  }
  if (plan.exec_errno != 0) {
    error.assign(plan.exec_errno, std::system_category());
    ::close(pidfd);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return {};
  }
  return {pid, pidfd};
}

}  // namespace wsexec
