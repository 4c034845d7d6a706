#include "boost_process_spawn.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

// Boost.Process 1.74 compiles its vfork launcher only where the feature
// macros say vfork is in POSIX (before POSIX.1-2008): never with a current
// glibc, where bp::posix::use_vfork then fails to link. Asked for here.
#define BOOST_POSIX_HAS_VFORK 1
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <cerrno>
#include <string>
#include <vector>

namespace bench {
namespace {

namespace bp = boost::process;

// Hands the executor our argv and environment as they are: Boost.Process
// would otherwise build both again from its own containers on every spawn.
struct UseGivenStrings : bp::extend::handler {
  const char* path;
  char* const* argv;
  char* const* envp;
  template <typename Executor>
  void on_setup(Executor& exec) const {
    exec.exe = path;
    exec.cmd_line = const_cast<char**>(argv);
    exec.env = const_cast<char**>(envp);
  }
};

// What wsexec's child does before exec, as a Boost.Process extension. It
// runs in the vfork child: system calls only. Boost.Process goes on to
// execve even when a setup handler reports an error, so a failure here ends
// the child itself, after setting the error the parent will read.
struct PrepareChild : bp::extend::handler {
  int in, out, err;
  int first_realtime_signal;
  template <typename Executor>
  void fail(Executor& exec) const {
    exec.set_error(std::error_code(errno, std::system_category()), "child setup");
    ::_exit(127);
  }
  template <typename Executor>
  void on_exec_setup(Executor& exec) const {
    struct sigaction current {};
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) {
      if (signal == SIGKILL || signal == SIGSTOP) continue;
      if (signal > SIGSYS && signal < first_realtime_signal) continue;
      if (::sigaction(signal, nullptr, &current) != 0) fail(exec);
      if (current.sa_handler != SIG_DFL && ::sigaction(signal, &default_action, nullptr) != 0) {
        fail(exec);
      }
    }
    if (::setpgid(0, 0) != 0) fail(exec);
    // The bench's pipe ends are never below 3, so they can be placed
    // directly (wsexec's own start handles the general case).
    if (::dup2(in, 0) != 0 || ::dup2(out, 1) != 1 || ::dup2(err, 2) != 2) fail(exec);
    // bp::limit_handles would list /dev/fd with opendir (which allocates, in
    // a vfork child) and close one by one: close_range instead.
    if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) fail(exec);
    sigset_t none;
    sigemptyset(&none);
    if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail(exec);
  }
};

}  // namespace

wsexec::StartedProgram start_with_boost_process(const char* path, char* const argv[],
                                                char* const envp[], int stdin_fd, int stdout_fd,
                                                int stderr_fd, std::error_code& error) {
  // Boost.Process does not block signals around vfork: a handler of ours
  // could run in the child, on our memory. Blocked here, as start_program
  // does it itself.
  sigset_t all, previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::error_code launch_error;
  bp::child child(bp::exe = path, UseGivenStrings{{}, path, argv, envp},
                  PrepareChild{{}, stdin_fd, stdout_fd, stderr_fd, SIGRTMIN}, bp::posix::use_vfork,
                  launch_error);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (launch_error) {
    error = launch_error;  // the failed child was reaped by bp::child
    return {};
  }
  const pid_t pid = child.id();
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    error.assign(errno, std::system_category());
    ::kill(-pid, SIGKILL);
    child.wait();
    return {};
  }
  // Its own exit watch would wait by pid (or, asynchronously, on SIGCHLD
  // for every child at once): the caller watches the pidfd instead.
  child.detach();
  return {pid, pidfd};
}

}  // namespace bench
