// The child's signals, whatever the server did to its own: every
// disposition back to the default (not only those the server is known to
// change today) and nothing blocked.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "process/program_start.hpp"

namespace wsexec {
namespace {

// `cat /proc/self/status`, its output on a pipe: what both ways of starting
// it below share.
struct StatusReader {
  StatusReader() {
    if (::pipe2(out, O_CLOEXEC) != 0) out[0] = out[1] = -1;
  }
  // Everything the child printed, once our copy of its end is closed.
  std::string read_all() {
    ::close(out[1]);
    ::close(null);
    std::string printed;
    char chunk[4096];
    ssize_t n;
    while ((n = ::read(out[0], chunk, sizeof chunk)) > 0) printed.append(chunk, n);
    ::close(out[0]);
    return printed;
  }

  int out[2];
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  std::string path = "/bin/cat", name = "cat", file = "/proc/self/status";
  char* argv[3] = {name.data(), file.data(), nullptr};
  char* envp[1] = {nullptr};
};

// What `cat /proc/self/status` printed in a child started by start_program.
std::string status_of_a_started_child() {
  StatusReader cat;
  if (cat.out[0] < 0) return "pipe2 failed";
  std::error_code error;
  const StartedProgram program =
      start_program(cat.path.c_str(), cat.argv, cat.envp, cat.null, cat.out[1], cat.null, error);
  std::string printed = cat.read_all();
  if (error) printed = "start failed: " + error.message();
  if (program.pidfd >= 0) ::close(program.pidfd);
  if (program.pid > 0) ::waitpid(program.pid, nullptr, 0);
  return printed;
}

// The hexadecimal mask on a line of /proc/PID/status ("SigIgn:\t0000...").
std::string status_field(const std::string& status, const std::string& name) {
  const auto at = status.find("\n" + name + ":");
  if (at == std::string::npos) return "missing from: " + status;
  const auto begin = status.find_first_not_of(" \t", at + name.size() + 2);
  return status.substr(begin, status.find('\n', begin) - begin);
}

// Sets a disposition for the test's length and puts the old one back.
class ScopedDisposition {
 public:
  ScopedDisposition(int signal, void (*handler)(int)) : signal_(signal) {
    struct sigaction action {};
    action.sa_handler = handler;
    ::sigaction(signal_, &action, &previous_);
  }
  ~ScopedDisposition() { ::sigaction(signal_, &previous_, nullptr); }

 private:
  int signal_;
  struct sigaction previous_ {};
};

void do_nothing(int) {}

TEST(ProgramStartSignals, SignalsTheServerNeverTouchedTodayAreResetToo) {
  // None of these is in any list of what the server changes: a handler or
  // an ignore added to the server later must not reach the child either.
  const ScopedDisposition ignored_usr2(SIGUSR2, SIG_IGN);
  const ScopedDisposition ignored_realtime(SIGRTMIN + 2, SIG_IGN);
  const ScopedDisposition caught_winch(SIGWINCH, do_nothing);
  const ScopedDisposition caught_realtime(SIGRTMAX, do_nothing);
  sigset_t blocked, previous_mask;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigaddset(&blocked, SIGRTMIN + 3);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &blocked, &previous_mask), 0);

  const std::string status = status_of_a_started_child();

  ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  EXPECT_EQ(status_field(status, "SigIgn"), "0000000000000000");
  EXPECT_EQ(status_field(status, "SigCgt"), "0000000000000000");
  EXPECT_EQ(status_field(status, "SigBlk"), "0000000000000000");
}

TEST(ProgramStartSignals, TheServersOwnDispositionsAreLeftAsTheyWere) {
  // The reset happens in the child only (CLONE_VM shares memory, not the
  // signal table): our ignore must survive a start.
  const ScopedDisposition ignored_usr2(SIGUSR2, SIG_IGN);
  ASSERT_NE(status_of_a_started_child(), "");
  struct sigaction now {};
  ASSERT_EQ(::sigaction(SIGUSR2, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
}

// The spawn helper's way (spawn_helper_loop.cpp): it reads its changed
// signals once, and each child resets those alone. Run in a forked process,
// as a helper is one: CLONE_PARENT makes the child ours, so we reap it.
// `ignore` is ignored in that process first; `tell` says whether the child
// is given what the process read, or an empty list. Returns what `cat
// /proc/self/status` printed.
std::string status_of_a_helpers_child(int ignore, bool tell) {
  StatusReader cat;
  if (cat.out[0] < 0) return "pipe2 failed";
  const pid_t helper = ::fork();
  if (helper == 0) {
    ::signal(ignore, SIG_IGN);
    ChangedSignals changed, nothing;
    const bool read = changed.read_now();
    std::error_code error;
    const StartedProgram program = start_program_for_parent(
        cat.path.c_str(), cat.argv, cat.envp, cat.null, cat.out[1], cat.null, error,
        ChildSession::own_group, tell ? &changed : &nothing);
    ::_exit(read && !error && program.pid > 0 ? 0 : 1);
  }
  std::string printed = cat.read_all();
  int status = 0;
  if (helper < 0 || ::waitpid(helper, &status, 0) != helper || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    printed = "the helper's start failed";
  }
  while (::waitpid(-1, nullptr, 0) > 0) {  // the child (and the helper, had it failed)
  }
  return printed;
}

TEST(ProgramStartSignals, AHelpersChildResetsWhatTheHelperReadAsChanged) {
  ASSERT_NE(status_of_a_started_child(), "");  // this thread's child stack, made before the fork
  const std::string status = status_of_a_helpers_child(SIGUSR2, /*tell=*/true);
  EXPECT_EQ(status_field(status, "SigIgn"), "0000000000000000");
  EXPECT_EQ(status_field(status, "SigBlk"), "0000000000000000");
}

// The list is all the child resets: it no longer asks about every signal
// (which is the point, about 60 system calls fewer before each exec).
TEST(ProgramStartSignals, AHelpersChildResetsOnlyWhatItIsTold) {
  ASSERT_NE(status_of_a_started_child(), "");
  const std::string status = status_of_a_helpers_child(SIGUSR2, /*tell=*/false);
  EXPECT_EQ(status_field(status, "SigIgn"), "0000000000000800");  // 1 << (SIGUSR2 - 1)
}

TEST(ProgramStartSignals, ChangedSignalsListsTheIgnoredAndTheCaughtOnly) {
  const ScopedDisposition ignored_usr2(SIGUSR2, SIG_IGN);
  const ScopedDisposition caught_winch(SIGWINCH, do_nothing);
  const ScopedDisposition ignored_realtime(SIGRTMIN + 2, SIG_IGN);
  ChangedSignals changed;
  ASSERT_TRUE(changed.read_now());
  const std::vector<int> listed(changed.signals, changed.signals + changed.count);
  for (int signal : {SIGUSR2, SIGWINCH, SIGRTMIN + 2}) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), signal), listed.end()) << signal;
  }
  for (int signal : {SIGTERM, SIGUSR1, SIGRTMIN + 3}) {
    EXPECT_EQ(std::find(listed.begin(), listed.end(), signal), listed.end()) << signal;
  }
}

}  // namespace
}  // namespace wsexec
