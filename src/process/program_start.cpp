#include "process/program_start.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_UNPOISON_MEMORY_REGION(address, size) ((void)(address), (void)(size))
#endif
// The child's code runs on the stack we hand to clone(), which ASan does not
// know: an instrumented call to a [[noreturn]] function (_exit) there makes
// ASan warn that it ignores __asan_handle_no_return and that false reports
// may follow. The child only makes system calls, so it is left uninstrumented.
#if defined(__SANITIZE_ADDRESS__)
#define WSEXEC_CHILD_STACK_CODE __attribute__((no_sanitize_address))
#else
#define WSEXEC_CHILD_STACK_CODE
#endif
#include <cstddef>
#include <memory>

// gcc 12's ThreadSanitizer intercepts clone() and handles the child as a
// fork child; with CLONE_VM that handling rewrites the parent's TSan state,
// and the server then dies when it next starts a thread. TSan builds spawn
// like a fork instead (no CLONE_VM, no CLONE_VFORK), which TSan follows,
// and the child's exec errno comes back over a close-on-exec pipe rather
// than through shared memory (docs/architecture.md, "ThreadSanitizer").
#if defined(__SANITIZE_THREAD__)
#include <linux/close_range.h>
#define WSEXEC_SPAWN_SHARES_MEMORY 0
#else
#define WSEXEC_SPAWN_SHARES_MEMORY 1
#endif

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
  int first_realtime_signal;  // SIGRTMIN, a libc call: read in the parent
  ChildSession session;
  const ChangedSignals* changed = nullptr;  // known ahead, or null: the child asks
  int exec_errno = 0;                       // set by the child when exec fails
  int errno_pipe = -1;                      // TSan builds: where the child writes exec_errno
};

// Every signal goes back to its default in the child, whoever changed it:
// main and the server install handlers and ignore SIGPIPE today, and a list
// kept here to mirror them would miss the next one. An ignored signal would
// stay ignored across exec, and a handler of ours must not run in the child
// between unblocking and exec.
//
// One sigaction query per signal, and a change only where the disposition
// is not the default (a handful): 60 system calls, about what glibc's posix_spawn
// makes. Measured here, the loop costs 12.5 us (setting all 60 to the
// default unconditionally, 12.4 us: no cheaper), about a tenth of a spawn;
// `wsbench limit-spawn` on the shared build machine varied more than that
// between runs of the same binary. Asking the parent instead
// (/proc/self/status read at start-up) would go stale when a handler is
// installed later; asking it per spawn costs the same calls, on the
// spawning thread.
//
// Skipped: SIGKILL and SIGSTOP (cannot be changed), and the signals between
// the last classic one and SIGRTMIN, which glibc keeps for itself
// (cancellation, set*id), refuses to sigaction, and always catches, so exec
// resets them.
//
// `visit(signal)` is called for each signal that can be changed.
template <typename Visit>
bool for_each_changeable_signal(int first_realtime_signal, Visit visit) {
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP) continue;
    if (signal > SIGSYS && signal < first_realtime_signal) continue;
    if (!visit(signal)) return false;
  }
  return true;
}

bool is_default(int signal, bool& is) {
  struct sigaction current {};
  if (::sigaction(signal, nullptr, &current) != 0) return false;
  is = current.sa_handler == SIG_DFL;
  return true;
}

bool reset_signal_dispositions(int first_realtime_signal, const ChangedSignals* changed) {
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  const auto reset = [&default_action](int signal) {
    return ::sigaction(signal, &default_action, nullptr) == 0;
  };
  if (changed != nullptr) {
    for (int i = 0; i < changed->count; ++i) {
      if (!reset(changed->signals[i])) return false;
    }
    return true;
  }
  return for_each_changeable_signal(first_realtime_signal, [&reset](int signal) {
    bool already = false;
    return is_default(signal, already) && (already || reset(signal));
  });
}

// Puts `from` at `to` for the child; dup2 onto itself would keep
// close-on-exec. False if that failed.
bool place_descriptor(int from, int to) {
  if (from == to) return ::fcntl(to, F_SETFD, 0) == 0;
  return ::dup2(from, to) == to;
}

// A descriptor below 3 that belongs elsewhere is copied up first, so that
// placing the others cannot overwrite it (closed again with the rest).
int out_of_the_way(int fd, int target) {
  return fd < 3 && fd != target ? ::fcntl(fd, F_DUPFD, 3) : fd;
}

// Closes every descriptor listed in /proc/self/fd from 3 up but the listing;
// true if it closed any (the listing is read again until it closes none).
bool close_listed(int directory) {
  char entries[1024];
  bool closed_any = false;
  long got;
  while ((got = ::syscall(SYS_getdents64, directory, entries, sizeof entries)) > 0) {
    for (long at = 0; at < got;) {
      const auto* entry = reinterpret_cast<const dirent64*>(entries + at);
      at += entry->d_reclen;
      int fd = 0;
      const char* digit = entry->d_name;
      if (*digit < '0' || *digit > '9') continue;  // "." and ".."
      for (; *digit >= '0' && *digit <= '9'; ++digit) fd = fd * 10 + (*digit - '0');
      if (fd >= 3 && fd != directory) closed_any |= ::close(fd) == 0;
    }
  }
  return closed_any;
}

// Closes every descriptor from 3 up. Without close_range (kernels before
// 5.9, or a seccomp filter that refuses it) it closes what /proc lists,
// not every number up to the limit (which the server raises, often to a
// million).
[[maybe_unused]] void close_from_three() {  // not in TSan builds (see above)
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
  const int directory = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory >= 0) {
    while (close_listed(directory)) ::lseek(directory, 0, SEEK_SET);
    ::close(directory);
    return;
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  for (rlim_t fd = 3; fd < limit.rlim_cur; ++fd) ::close(static_cast<int>(fd));
}

// Exec can no longer happen: says why to the parent, and ends.
[[noreturn]] WSEXEC_CHILD_STACK_CODE void fail_in_child(ExecPlan& plan) {
  plan.exec_errno = errno != 0 ? errno : EINVAL;  // read by the parent once we are gone
#if !WSEXEC_SPAWN_SHARES_MEMORY
  [[maybe_unused]] const ssize_t ignored =
      ::write(plan.errno_pipe, &plan.exec_errno, sizeof plan.exec_errno);
#endif
  ::_exit(127);
}

WSEXEC_CHILD_STACK_CODE int exec_in_child(void* plan_pointer) {
  ExecPlan& plan = *static_cast<ExecPlan*>(plan_pointer);
  // Every signal is blocked here: the parent blocked them around clone.
  if (!reset_signal_dispositions(plan.first_realtime_signal, plan.changed)) fail_in_child(plan);
  // A process group of its own: the ladder signals the whole group, and a
  // Ctrl-C meant for the server does not hit every child directly. A
  // terminal session is a group of its own too (setsid makes both ids the
  // child's pid).
  const bool terminal_session = plan.session == ChildSession::own_terminal_session;
  if ((terminal_session ? ::setsid() < 0 : ::setpgid(0, 0) != 0)) fail_in_child(plan);
  const int in = out_of_the_way(plan.stdin_fd, STDIN_FILENO);
  const int out = out_of_the_way(plan.stdout_fd, STDOUT_FILENO);
  const int err = out_of_the_way(plan.stderr_fd, STDERR_FILENO);
  if (in < 0 || out < 0 || err < 0 || !place_descriptor(in, STDIN_FILENO) ||
      !place_descriptor(out, STDOUT_FILENO) || !place_descriptor(err, STDERR_FILENO)) {
    fail_in_child(plan);
  }
  // The terminal on stdin becomes the session's controlling terminal: its
  // line discipline then sends SIGINT for ^C, SIGWINCH on a resize and
  // SIGHUP on hang-up to the session's foreground group.
  if (terminal_session && ::ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0) fail_in_child(plan);
#if WSEXEC_SPAWN_SHARES_MEMORY
  // Belt and braces: whatever the server holds (Asio does not open accepted
  // sockets close-on-exec), the child sees only 0, 1 and 2.
  close_from_three();
#else
  // Closed by exec instead, so that the errno pipe stays open until then.
  if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) fail_in_child(plan);
#endif
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail_in_child(plan);
  ::execve(plan.path, plan.argv, plan.envp);
  fail_in_child(plan);
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
  // Under AddressSanitizer, the child marks its stack frames in the shadow
  // memory it shares with us (CLONE_VM) and execs without clearing them, so
  // the next child on this stack would trip over stale marks ("stack-use-
  // after-scope"). The stack is handed over clean every time.
  ASAN_UNPOISON_MEMORY_REGION(stack.get(), kStackBytes);
  return stack.get() + kStackBytes;  // stacks grow down; new[] is 16-byte aligned
}

// The clone and its bookkeeping, for both callers below. On failure the
// result's pid is -1, or, when exec failed, the pid of a child that has
// already exited and still needs reaping; `error` says why either way.
StartedProgram launch(ExecPlan& plan, int extra_flags, std::error_code& error) {
  char* const stack_top = child_stack_top();  // may throw: before the signals are blocked
  // Blocked until the child has reset its dispositions: a signal arriving
  // in between must not run one of our handlers on the child's side.
  sigset_t all, previous;
  sigfillset(&all);
  if (const int failed = ::pthread_sigmask(SIG_SETMASK, &all, &previous); failed != 0) {
    error.assign(failed, std::system_category());
    return {};
  }
#if WSEXEC_SPAWN_SHARES_MEMORY
  constexpr int kMemoryFlags = CLONE_VM | CLONE_VFORK;
#else
  constexpr int kMemoryFlags = 0;
  int errno_pipe[2];
  if (::pipe2(errno_pipe, O_CLOEXEC) != 0) {
    error.assign(errno, std::system_category());
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return {};
  }
  plan.errno_pipe = errno_pipe[1];
#endif
  int pidfd = -1;
  const pid_t pid = ::clone(exec_in_child, stack_top,
                            kMemoryFlags | CLONE_PIDFD | SIGCHLD | extra_flags, &plan, &pidfd);
  const int clone_errno = errno;
  const int restore_failed = ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
#if !WSEXEC_SPAWN_SHARES_MEMORY
  // End of file once exec succeeded (the pipe is close-on-exec), or errno.
  ::close(errno_pipe[1]);
  if (pid > 0) {
    int child_errno = 0;
    ssize_t got;
    do {
      got = ::read(errno_pipe[0], &child_errno, sizeof child_errno);
    } while (got < 0 && errno == EINTR);
    if (got == sizeof child_errno) plan.exec_errno = child_errno;
  }
  ::close(errno_pipe[0]);
#endif
  if (pid < 0) {
    error.assign(clone_errno, std::system_category());
    return {};
  }
  if (restore_failed != 0) {
    // This thread would go on with every signal blocked: say so rather than
    // serve like that.
    error.assign(restore_failed, std::system_category());
    if (pidfd >= 0) ::close(pidfd);
    ::kill(-pid, SIGKILL);
    return {pid, -1};
  }
  // Kernels before 5.2 ignore CLONE_PIDFD; pidfd_open came with 5.3.
  if (pidfd < 0 && plan.exec_errno == 0) {
    pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
      error.assign(errno, std::system_category());
      ::kill(-pid, SIGKILL);
      return {pid, -1};
    }
  }
  if (plan.exec_errno != 0) {
    error.assign(plan.exec_errno, std::system_category());
    if (pidfd >= 0) ::close(pidfd);
    return {pid, -1};  // it has exited already
  }
  return {pid, pidfd};
}

}  // namespace

StartedProgram start_program(const char* path, char* const argv[], char* const envp[], int stdin_fd,
                             int stdout_fd, int stderr_fd, std::error_code& error,
                             ChildSession session) {
  ExecPlan plan{path, argv, envp, stdin_fd, stdout_fd, stderr_fd, SIGRTMIN, session};
  const StartedProgram started = launch(plan, 0, error);
  if (error) {
    if (started.pid > 0) kill_group_and_reap(started.pid);
    return {};
  }
  return started;
}

StartedProgram start_program_for_parent(const char* path, char* const argv[], char* const envp[],
                                        int stdin_fd, int stdout_fd, int stderr_fd,
                                        std::error_code& error, ChildSession session,
                                        const ChangedSignals* changed) {
  ExecPlan plan{path, argv, envp, stdin_fd, stdout_fd, stderr_fd, SIGRTMIN, session, changed};
  return launch(plan, CLONE_PARENT, error);
}

bool ChangedSignals::read_now() {
  static_assert(sizeof signals / sizeof signals[0] >= NSIG - 1, "room for every signal");
  count = 0;
  const bool read = for_each_changeable_signal(SIGRTMIN, [this](int signal) {
    bool unchanged = false;
    if (!is_default(signal, unchanged)) return false;
    if (!unchanged) signals[count++] = signal;  // at most NSIG - 3 of them: they fit
    return true;
  });
  if (!read) count = 0;
  return read;
}

void kill_group_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);  // ESRCH: the group is already gone, which is the goal
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace wsexec
