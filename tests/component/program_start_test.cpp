// start_program against real children: what the child finds when it starts
// (descriptors, process group, signals, environment), exec failures, and
// starts from several threads at once.
#include "process/program_start.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace wsexec {
namespace {

std::string read_to_eof(int fd) {
  std::string all;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(fd, chunk, sizeof chunk)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    all.append(chunk, static_cast<std::size_t>(n));
  }
  return all;
}

int wait_for(pid_t pid) {
  int status = -1;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// start_program with its argv (args[0] included) and environment as strings.
StartedProgram start(const std::string& path, std::vector<std::string> args, int in, int out,
                     int err, std::error_code& error, std::vector<std::string> environment = {}) {
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  return start_program(path.c_str(), argv.data(), envp.data(), in, out, err, error);
}

// Writes `line` to a started child (then closes its stdin), returns what it
// printed, and reaps it. A child without stdin gives EPIPE here, not death.
std::string feed_line_and_read(const StartedProgram& program, int stdin_write, int stdout_read,
                               std::string_view line) {
  const auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
  EXPECT_EQ(::write(stdin_write, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  ::signal(SIGPIPE, old_pipe);
  ::close(stdin_write);
  std::string printed = read_to_eof(stdout_read);
  ::close(stdout_read);
  ::close(program.pidfd);
  wait_for(program.pid);
  return printed;
}

// A shell script run on three pipes; what it printed, and how it ended.
struct ScriptRun {
  pid_t pid = -1;
  std::string out;
  int status = -1;
};

ScriptRun run_script(const std::string& script, std::vector<std::string> environment = {}) {
  int in[2], out[2], err[2];
  EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
  std::error_code error;
  const StartedProgram program =
      start("/bin/sh", {"sh", "-c", script}, in[0], out[1], err[1], error, std::move(environment));
  EXPECT_FALSE(error) << error.message();
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  ::close(in[1]);
  ScriptRun run;
  run.pid = program.pid;
  run.out = read_to_eof(out[0]);
  ::close(out[0]);
  ::close(err[0]);
  if (program.pidfd >= 0) ::close(program.pidfd);
  if (program.pid > 0) run.status = wait_for(program.pid);
  return run;
}

// The hexadecimal mask on a line of /proc/self/status ("SigIgn:\t0000...").
std::string status_field(const std::string& out, const std::string& name) {
  const auto at = out.find(name + ":");
  if (at == std::string::npos) return "missing";
  const auto begin = out.find_first_not_of(" \t", at + name.size() + 1);
  return out.substr(begin, out.find('\n', begin) - begin);
}

TEST(ProgramStart, ChildSeesOnlyItsThreeDescriptors) {
  // Something of ours that is not close-on-exec must not reach the child.
  const int leaked = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaked, 3);
  const ScriptRun run = run_script("ls /proc/self/fd");
  ::close(leaked);
  std::set<std::string> fds;
  std::size_t begin = 0;
  for (std::size_t end; (end = run.out.find('\n', begin)) != std::string::npos; begin = end + 1) {
    fds.insert(run.out.substr(begin, end - begin));
  }
  // ls itself opens one descriptor to read the directory.
  fds.erase("3");
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"})) << run.out;
  EXPECT_TRUE(WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0);
}

TEST(ProgramStart, ChildLeadsAProcessGroupOfItsOwn) {
  // Field 5 of /proc/PID/stat is the process group.
  const ScriptRun run =
      run_script("echo $$; read -r a b c d pgid rest < /proc/$$/stat; echo $pgid");
  const auto newline = run.out.find('\n');
  ASSERT_NE(newline, std::string::npos) << run.out;
  const std::string pid = run.out.substr(0, newline);
  std::string pgid = run.out.substr(newline + 1);
  pgid.erase(pgid.find_last_not_of('\n') + 1);
  EXPECT_EQ(pid, std::to_string(run.pid));
  EXPECT_EQ(pgid, pid);
  EXPECT_NE(::getpgid(0), run.pid);
}

TEST(ProgramStart, ChildStartsWithDefaultSignalsAndAnEmptyMask) {
  // As in the server: SIGPIPE ignored, SIGTERM handled, SIGUSR1 blocked.
  struct sigaction ignore {
  }, handle{}, old_pipe{}, old_term{};
  ignore.sa_handler = SIG_IGN;
  handle.sa_handler = [](int) {};
  ::sigaction(SIGPIPE, &ignore, &old_pipe);
  ::sigaction(SIGTERM, &handle, &old_term);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);

  const ScriptRun run = run_script("cat /proc/self/status");

  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  EXPECT_EQ(status_field(run.out, "SigIgn"), "0000000000000000");
  EXPECT_EQ(status_field(run.out, "SigBlk"), "0000000000000000");
  EXPECT_EQ(status_field(run.out, "SigCgt"), "0000000000000000");
}

TEST(ProgramStart, ChildGetsExactlyTheEnvironmentGiven) {
  const ScriptRun run = run_script("env | sort", {"ONE=1", "TWO=two words"});
  // sh may add PWD (and SHLVL, _); what was given is there, nothing of ours.
  EXPECT_NE(run.out.find("ONE=1\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("TWO=two words\n"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("PATH="), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("HOME="), std::string::npos) << run.out;
}

TEST(ProgramStart, StdinAlreadyAtDescriptorZeroStaysOpenForTheChild) {
  // With our own stdin closed, the pipe's read end lands on descriptor 0:
  // the child must still get it (dup2 onto itself would leave it
  // close-on-exec, and the child would start without stdin).
  const int saved_stdin = ::dup(STDIN_FILENO);
  ::close(STDIN_FILENO);
  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(in[0], STDIN_FILENO);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  std::error_code error;
  const StartedProgram program =
      start("/bin/sh", {"sh", "-c", "read line; echo got $line"}, in[0], out[1], out[1], error);
  ::dup2(saved_stdin, STDIN_FILENO);  // ours back (closes the pipe's end here)
  ::close(saved_stdin);
  ASSERT_FALSE(error) << error.message();
  ::close(out[1]);
  EXPECT_EQ(feed_line_and_read(program, in[1], out[0], "hello\n"), "got hello\n");
}

TEST(ProgramStart, StdoutSourceAtDescriptorZeroIsNotOverwrittenByStdin) {
  // The stdout pipe's write end sits on 0, where stdin is placed first: it
  // must be moved out of the way before, or the child's stdout would be
  // its stdin pipe.
  const int saved_stdin = ::dup(STDIN_FILENO);
  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  ASSERT_EQ(::dup3(out[1], STDIN_FILENO, O_CLOEXEC), STDIN_FILENO);
  std::error_code error;
  const StartedProgram program = start("/bin/sh", {"sh", "-c", "read line; echo got $line"}, in[0],
                                       STDIN_FILENO, STDIN_FILENO, error);
  ::dup2(saved_stdin, STDIN_FILENO);  // ours back
  ::close(saved_stdin);
  ASSERT_FALSE(error) << error.message();
  ::close(in[0]);
  ::close(out[1]);
  EXPECT_EQ(feed_line_and_read(program, in[1], out[0], "there\n"), "got there\n");
}

TEST(ProgramStart, ExecFailureIsReportedAndLeavesNoChild) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  std::error_code error;
  const StartedProgram program =
      start("/nonexistent/missing", {"missing"}, fds[0], fds[1], fds[1], error);
  EXPECT_EQ(program.pid, -1);
  EXPECT_EQ(program.pidfd, -1);
  EXPECT_EQ(error, std::errc::no_such_file_or_directory) << error.message();
  // The failed child was reaped: we have no child left to wait for.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ProgramStart, PidfdIsTheChildsAndCloseOnExec) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  std::error_code error;
  const StartedProgram program = start("/bin/true", {"true"}, fds[0], fds[1], fds[1], error);
  ASSERT_FALSE(error) << error.message();
  ASSERT_GE(program.pidfd, 0);
  EXPECT_TRUE(::fcntl(program.pidfd, F_GETFD) & FD_CLOEXEC);
  // /proc says which process the pidfd refers to.
  char link[64];
  std::snprintf(link, sizeof link, "/proc/self/fdinfo/%d", program.pidfd);
  const int info = ::open(link, O_RDONLY | O_CLOEXEC);
  ASSERT_GE(info, 0);
  const std::string text = read_to_eof(info);
  ::close(info);
  EXPECT_NE(text.find("Pid:\t" + std::to_string(program.pid) + "\n"), std::string::npos) << text;
  ::close(program.pidfd);
  const int status = wait_for(program.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ProgramStart, SeveralThreadsStartChildrenAtOnce) {
  // Each thread has its own stack for its children; 4 x 25 starts, every
  // child echoes its own line back.
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 25; ++i) {
        const std::string word = "w" + std::to_string(t) + "_" + std::to_string(i);
        const ScriptRun run = run_script("echo " + word);
        if (run.out != word + "\n" || !WIFEXITED(run.status)) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures, (std::vector<int>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace wsexec
