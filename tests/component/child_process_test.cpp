// A child's ownership and its end, against real children and a real event
// loop: adoption that fails half-way, and teardowns (of a ChildProcess, a
// StartedChild, a ChildSupervisor) that must not wait for a child to die.
//
// The child that shows the waiting is one SIGKILL to its group cannot end:
// it leaves its own process group for the test's, so kill(-pid) misses it,
// as a child in uninterruptible sleep would ignore the kill for as long as
// its I/O hangs. A destructor that waited would wait until the test kills
// the child by pid itself.
#include "process/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "process/child_supervisor.hpp"
#include "process/program_start.hpp"
#include "server/server_state.hpp"
#include "server/worker.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// How long a teardown may take and still count as not having waited for
// the child: it makes a kill() and at most registers a wait with the event
// loop, microseconds; the margin is for a machine under load. The child
// here never dies before the test kills it, so a destructor that waits for
// it cannot return within any bound.
constexpr auto kPrompt = 1s;
// How long the background reaping may take once the child can die.
constexpr auto kReapDeadline = 5s;

// Every close(2) in this test binary passes through here (the executable's
// definition comes before libc's for every caller), so a test can list the
// descriptors closed while it watches: a number closed twice in that
// window was closed once too often (in a server, by then it could be a
// descriptor another thread had just opened).
std::atomic<bool> recording_closes{false};
std::mutex recorded_mutex;
std::vector<int> recorded_closes;

}  // namespace
}  // namespace wsexec

extern "C" int close(int fd) {
  if (wsexec::recording_closes.load()) {
    std::lock_guard lock(wsexec::recorded_mutex);
    wsexec::recorded_closes.push_back(fd);
  }
  return static_cast<int>(::syscall(SYS_close, fd));
}

namespace wsexec {
namespace {

// The descriptors `action` closed, in order.
std::vector<int> closes_during(const std::function<void()>& action) {
  {
    std::lock_guard lock(recorded_mutex);
    recorded_closes.clear();
  }
  recording_closes = true;
  action();
  recording_closes = false;
  std::lock_guard lock(recorded_mutex);
  return recorded_closes;
}

// Prints "moved" once it has left its process group for the test's.
SpawnRequest unkillable_by_group() {
  return {"/usr/bin/perl",
          {"perl", "-e", "$| = 1; setpgrp(0, $ARGV[0]) or die $!; print qq(moved\n); sleep 60",
           std::to_string(::getpgrp())},
          {}};
}

// True once `pid` is no child of ours any more: reaped (WNOWAIT looks
// without reaping, so the test never reaps in the code's place).
bool reaped(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 &&
         errno == ECHILD;
}

bool reaped_within(pid_t pid, Clock::duration deadline) {
  const auto until = Clock::now() + deadline;
  while (!reaped(pid)) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::string read_some(int fd) {
  char chunk[64];
  const ssize_t n = ::read(fd, chunk, sizeof chunk);
  return n > 0 ? std::string(chunk, static_cast<std::size_t>(n)) : "";
}

// Runs `teardown` on a thread of its own; true if it returned within
// kPrompt. The child is then killed by pid either way, so a teardown that
// waits for it ends too, and the test fails rather than hangs.
bool returns_promptly(pid_t pid, std::function<void()> teardown) {
  auto done = std::async(std::launch::async, std::move(teardown));
  const bool prompt = done.wait_for(kPrompt) == std::future_status::ready;
  ::kill(pid, SIGKILL);  // not yet reaped (the teardown waits, or the reaper does): still ours
  done.wait();
  return prompt;
}

struct DeviceId {
  dev_t device;
  ino_t inode;
  bool operator==(const DeviceId&) const = default;
};

DeviceId identity_of(int fd) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return {0, 0};
  return {info.st_dev, info.st_ino};
}

// A started `sleep 60` whose stdout end is already registered with
// `context`: epoll_ctl refuses it a second time (EEXIST), after the pidfd
// and stdin were registered. The test knows the descriptors, so it can see
// which are closed, and how often.
struct ChildWithARegisteredStdout {
  explicit ChildWithARegisteredStdout(asio::io_context& context) : stdout_watcher(context) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
        ::pipe2(err, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::system_category(), "pipe2");
    }
    std::string path = "/bin/sleep", name = "sleep", seconds = "60";
    char* argv[] = {name.data(), seconds.data(), nullptr};
    char* envp[] = {nullptr};
    std::error_code error;
    const StartedProgram program =
        start_program(path.c_str(), argv, envp, in[0], out[1], err[1], error);
    if (error) throw std::system_error(error, "start_program");
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    pid = program.pid;
    ours = {in[1], out[0], err[0]};
    stdout_watcher.assign(out[0]);
    started = StartedChild(program.pid, OwnedFd(program.pidfd), OwnedFd(in[1]), OwnedFd(out[0]),
                           OwnedFd(err[0]));
  }
  // Registered only, never owned: `started` owns (and closes) the stdout end.
  ~ChildWithARegisteredStdout() { stdout_watcher.release(); }

  // What must hold after the failed adoption: each pipe end closed exactly
  // once (the pidfd goes to the reaper, which closes it after reaping), the
  // child ended and reaped, and no later close of a number already closed
  // (a descriptor opened now takes a number just freed).
  void expect_each_descriptor_closed_once_and_the_child_reaped(
      const std::vector<int>& closed) const {
    for (int fd : ours) EXPECT_EQ(std::count(closed.begin(), closed.end(), fd), 1) << "fd " << fd;
    for (int fd : closed) EXPECT_EQ(std::count(closed.begin(), closed.end(), fd), 1) << "fd " << fd;
    const int opened_after = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const DeviceId null_device = identity_of(opened_after);
    EXPECT_TRUE(reaped_within(pid, kReapDeadline));
    EXPECT_EQ(identity_of(opened_after), null_device);
    ::close(opened_after);
  }

  asio::posix::stream_descriptor stdout_watcher;
  pid_t pid = -1;
  std::vector<int> ours;  // stdin, stdout and stderr ends
  StartedChild started;
};

TEST(ChildProcessAdopt, RegistrationFailureIsReportedAndClosesEachDescriptorOnce) {
  asio::io_context context{1};
  ChildWithARegisteredStdout child_to_adopt(context);
  std::error_code error;
  std::unique_ptr<ChildProcess> child;

  const auto closed = closes_during([&] {
    EXPECT_NO_THROW(child = ChildProcess::adopt(context.get_executor(),
                                                std::move(child_to_adopt.started), error));
  });

  EXPECT_EQ(child, nullptr);
  EXPECT_EQ(error, std::errc::file_exists) << error.message();
  child_to_adopt.expect_each_descriptor_closed_once_and_the_child_reaped(closed);
}

TEST(ChildProcessAdopt, TheThrowingOverloadAlsoClosesEachDescriptorOnce) {
  // The older signature, which callers still use until they move to the
  // error_code one.
  asio::io_context context{1};
  ChildWithARegisteredStdout child_to_adopt(context);

  const auto closed = closes_during([&] {
    EXPECT_THROW(ChildProcess::adopt(context.get_executor(), std::move(child_to_adopt.started)),
                 std::system_error);
  });

  child_to_adopt.expect_each_descriptor_closed_once_and_the_child_reaped(closed);
}

TEST(ChildProcessTeardown, DestroyingAChildDoesNotWaitForItToDie) {
  asio::io_context context{1};
  std::error_code error;
  auto child = ChildProcess::spawn(context.get_executor(), unkillable_by_group(), error);
  ASSERT_NE(child, nullptr) << error.message();
  const pid_t pid = child->pid();
  ASSERT_EQ(read_some(child->stdout_pipe().native_handle()), "moved\n");

  EXPECT_TRUE(returns_promptly(pid, [&] { child.reset(); }));
  EXPECT_TRUE(reaped_within(pid, kReapDeadline));
}

TEST(ChildProcessTeardown, DiscardingAStartedChildDoesNotWaitForItToDie) {
  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  const SpawnRequest request = unkillable_by_group();
  std::vector<char*> argv, envp{nullptr};
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::error_code error;
  const StartedProgram program = start_program(request.executable.c_str(), argv.data(), envp.data(),
                                               in[0], out[1], out[1], error);
  ASSERT_FALSE(error) << error.message();
  ::close(in[0]);
  ::close(out[1]);
  ASSERT_EQ(read_some(out[0]), "moved\n");
  auto started = std::make_unique<StartedChild>(program.pid, OwnedFd(program.pidfd), OwnedFd(in[1]),
                                                OwnedFd(out[0]), OwnedFd());

  EXPECT_TRUE(returns_promptly(program.pid, [&] { started.reset(); }));
  EXPECT_TRUE(reaped_within(program.pid, kReapDeadline));
}

// Killed: gone from /proc, or a zombie waiting for its parent (init, once
// the shell that started it exited).
bool dead_within(pid_t pid, Clock::duration deadline) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    std::FILE* stat = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    char state = 'Z';
    if (stat) {
      if (std::fscanf(stat, "%*d (%*[^)]) %c", &state) != 1) state = '?';
      std::fclose(stat);
    }
    if (state == 'Z' || state == 'X') return true;
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
}

TEST(ChildProcessRelease, AfterTheExitTheLeftoverJobIsKilledAndOurPipeEndsClosed) {
  asio::io_context context{1};
  std::error_code error;
  // Exits at once, leaving a job that holds stdout and stderr open.
  const SpawnRequest request{"/bin/sh", {"sh", "-c", "sleep 60 & echo $!; exit 0"}, {}};
  auto child = ChildProcess::spawn(context.get_executor(), request, error);
  ASSERT_NE(child, nullptr) << error.message();
  const pid_t job = static_cast<pid_t>(std::stol(read_some(child->stdout_pipe().native_handle())));
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child->pid()), &info, WEXITED | WNOWAIT), 0);

  child->release_after_exit();

  EXPECT_TRUE(dead_within(job, kReapDeadline)) << "job " << job;
  EXPECT_FALSE(child->stdout_pipe().is_open());
  EXPECT_FALSE(child->stderr_pipe().is_open());
  EXPECT_FALSE(child->stdin_pipe().is_open());
}

// A supervisor ended on its event loop's thread while its child still runs
// (a forced teardown): the slot must stay taken until the child is reaped,
// on the loop. `executor_of` gives the executor the child is made with.
void expect_the_slot_released_only_once_reaped(
    asio::io_context& context, const std::function<asio::any_io_executor()>& executor_of) {
  ServerState state(Config{}, "/bin/true", {});
  auto slot = ForkSlot::try_acquire(state);
  ASSERT_TRUE(slot);
  std::error_code error;
  auto child = ChildProcess::spawn(executor_of(), unkillable_by_group(), error);
  ASSERT_NE(child, nullptr) << error.message();
  const pid_t pid = child->pid();
  ASSERT_EQ(read_some(child->stdout_pipe().native_handle()), "moved\n");
  auto supervisor =
      std::make_shared<ChildSupervisor>(std::move(child), std::move(*slot), 100ms, "test");
  slot.reset();

  // The supervisor ends on the event loop's thread, as in the server.
  auto work = asio::make_work_guard(context);
  std::thread loop([&] { context.run(); });
  EXPECT_TRUE(returns_promptly(pid, [&] {
    std::promise<void> destroyed;
    asio::post(context, [&] {
      supervisor.reset();
      destroyed.set_value();
    });
    destroyed.get_future().wait();
    // Before the test kills the child: still alive, so its slot is still taken.
    EXPECT_EQ(state.live_children.load(), 1u) << "the slot was released with the child alive";
  }));

  const auto until = Clock::now() + kReapDeadline;
  while (state.live_children.load() != 0 && Clock::now() < until) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(state.live_children.load(), 0u);
  EXPECT_TRUE(reaped(pid)) << "the slot was released before the child was reaped";
  work.reset();
  context.stop();
  loop.join();
}

TEST(ChildSupervisorTeardown, EndingBeforeTheChildReleasesTheSlotOnlyOnceItIsReaped) {
  asio::io_context context{1};
  expect_the_slot_released_only_once_reaped(context, [&] { return context.get_executor(); });
}

// The server's own executor (a worker's, which batches handlers): the
// supervisor must still see that it is on its loop's thread.
TEST(ChildSupervisorTeardown, OnAWorkersExecutorTheSlotIsAlsoReleasedOnlyOnceReaped) {
  Worker worker;
  expect_the_slot_released_only_once_reaped(worker.context(), [&] { return worker.executor(); });
}

}  // namespace
}  // namespace wsexec
