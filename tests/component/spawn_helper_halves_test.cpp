// A spawn asked for in halves (SpawnHelpers::try_lease_now and send_now,
// then read_answer_now or finish), as a worker asks for it: against real spawn
// helpers (the wsexec binary in its helper role) and real children. The
// children are the test process's (CLONE_PARENT), so each test reaps its own.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proc_status.hpp"
#include "process/owned_fd.hpp"
#include "process/spawn_helpers.hpp"

namespace wsexec {
namespace {

using namespace std::chrono_literals;

// Helpers from the real binary, and what they report.
class Helpers {
 public:
  explicit Helpers(std::size_t count) {
    std::error_code error;
    started_ = helpers_.start(
        count, WSEXEC_BINARY,
        [this](const std::string& message) {
          std::lock_guard<std::mutex> held(mutex_);
          reports_.push_back(message);
        },
        error);
    EXPECT_TRUE(started_) << error.message();
  }
  SpawnHelpers& operator*() { return helpers_; }
  SpawnHelpers* operator->() { return &helpers_; }
  bool started() const { return started_; }
  std::string reports() {
    std::lock_guard<std::mutex> held(mutex_);
    std::string all;
    for (const auto& report : reports_) all += report + "\n";
    return all;
  }

 private:
  SpawnHelpers helpers_;
  bool started_ = false;
  std::mutex mutex_;
  std::vector<std::string> reports_;
};

// A child's three descriptors: stdin from /dev/null, stdout and stderr on
// one pipe whose read end the test keeps.
struct ChildPipes {
  OwnedFd read_end, write_end, null_in;
  ChildPipes() {
    int fds[2];
    EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    null_in.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  int in() const { return null_in.get(); }
  int out() const { return write_end.get(); }
  // What the child wrote, once every writer has closed (call after the
  // child's start, with our write end closed).
  std::string drain() {
    write_end.reset();
    std::string all;
    char buffer[256];
    ssize_t n;
    while ((n = ::read(read_end.get(), buffer, sizeof buffer)) > 0) all.append(buffer, n);
    return all;
  }
};

SpawnRequest shell(const std::string& script) {
  SpawnRequest request;
  request.executable = "/bin/sh";
  request.argv = {"sh", "-c", script};
  request.environment = {"PATH=/usr/bin:/bin"};
  return request;
}

// What a worker does: a helper if all are free, and the request sent to it.
std::optional<SpawnHelpers::Lease> send_now(SpawnHelpers& helpers, const SpawnRequest& request,
                                            const ChildPipes& pipes) {
  auto lease = helpers.try_lease_now(request);
  if (lease) helpers.send_now(*lease, pipes.in(), pipes.out(), pipes.out());
  return lease;
}

bool readable_within(int fd, std::chrono::milliseconds limit) {
  pollfd watched{fd, POLLIN, 0};
  return ::poll(&watched, 1, static_cast<int>(limit.count())) == 1;
}

int reap(pid_t pid) {
  int status = -1;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

TEST(SpawnHelperHalves, ARequestSentNowIsAnsweredOnItsSocketWithTheRunningChild) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  ChildPipes pipes;
  auto lease = send_now(*helpers, shell("echo started"), pipes);
  ASSERT_TRUE(lease.has_value());
  ASSERT_TRUE(readable_within(lease->socket(), 5000ms));
  StartedProgram started;
  std::error_code error;
  ASSERT_TRUE(helpers->read_answer_now(*lease, started, error));
  EXPECT_FALSE(error) << error.message();
  ASSERT_GT(started.pid, 0);
  EXPECT_GE(started.pidfd, 0);
  OwnedFd pidfd(started.pidfd);
  EXPECT_EQ(pipes.drain(), "started\n");
  const int status = reap(started.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(helpers.reports(), "");
}

TEST(SpawnHelperHalves, AWorkerTakesAHelperOnlyWhileEveryHelperIsFree) {
  Helpers helpers(2);
  ASSERT_TRUE(helpers.started());
  ChildPipes pipes;
  std::error_code error;
  // A spawner thread holds one helper (as in a storm): the other is free,
  // and left to the spawner threads.
  auto held = helpers->try_lease_now(shell("exit 0"));
  ASSERT_TRUE(held.has_value());
  EXPECT_FALSE(helpers->try_lease_now(shell("exit 0")).has_value());
  auto started = helpers->finish(std::move(*held), pipes.in(), pipes.out(), pipes.out(), error);
  ASSERT_TRUE(started.has_value());  // finish() sends what try_lease_now did not
  ASSERT_GT(started->pid, 0) << error.message();
  OwnedFd pidfd(started->pidfd);
  reap(started->pid);
  EXPECT_TRUE(helpers->try_lease_now(shell("exit 0")).has_value());
}

// A worker that holds a helper (its answer waiting in the worker's own
// event loop) and then starts a CGI script must not wait for a helper: the
// one it would wait for may be its own. The first version did, and the
// soak hung (CI, 2026-12-05).
TEST(SpawnHelperHalves, AStartThatMayNotWaitGetsNoHelperWhileNoneIsFree) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  auto held = helpers->try_lease_now(shell("exit 0"));
  ASSERT_TRUE(held.has_value());
  ChildPipes pipes;
  std::error_code error;
  const auto begun = std::chrono::steady_clock::now();
  EXPECT_FALSE(helpers
                   ->try_start(shell("exit 0"), pipes.in(), pipes.out(), pipes.out(), error,
                               /*may_wait=*/false)
                   .has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 1s);
  EXPECT_FALSE(error) << error.message();
}

TEST(SpawnHelperHalves, NoHelperIsFreeWhileEachHoldsALeaseAndOneIsOnceItsAnswerIsRead) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  ChildPipes first, second;
  auto lease = send_now(*helpers, shell("exit 0"), first);
  ASSERT_TRUE(lease.has_value());
  // Nothing is sent to the helper that has a request in flight.
  EXPECT_FALSE(send_now(*helpers, shell("exit 0"), second));
  ASSERT_TRUE(readable_within(lease->socket(), 5000ms));
  StartedProgram started;
  std::error_code error;
  ASSERT_TRUE(helpers->read_answer_now(*lease, started, error));
  OwnedFd pidfd(started.pidfd);
  reap(started.pid);
  auto next = send_now(*helpers, shell("exit 0"), second);
  ASSERT_TRUE(next.has_value());
  ASSERT_TRUE(readable_within(next->socket(), 5000ms));
  ASSERT_TRUE(helpers->read_answer_now(*next, started, error));
  OwnedFd next_pidfd(started.pidfd);
  reap(started.pid);
}

TEST(SpawnHelperHalves, AnExecFailureComesBackAsItsErrnoWithTheChildReaped) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  ChildPipes pipes;
  SpawnRequest missing = shell("");
  missing.executable = "/nonexistent/program";
  auto lease = send_now(*helpers, missing, pipes);
  ASSERT_TRUE(lease.has_value());
  ASSERT_TRUE(readable_within(lease->socket(), 5000ms));
  StartedProgram started;
  std::error_code error;
  ASSERT_TRUE(helpers->read_answer_now(*lease, started, error));
  EXPECT_EQ(error, std::errc::no_such_file_or_directory) << error.message();
  // The failed child is reaped already: nothing is left to the caller.
  EXPECT_EQ(started.pid, -1);
  EXPECT_EQ(started.pidfd, -1);
}

// How often `pid` has gone to sleep and been woken since it started.
long voluntary_switches(pid_t pid) {
  return wsexec_test::proc_status_number(pid, "voluntary_ctxt_switches");
}

// A helper waiting for its next request sleeps until one comes. A blocking
// read there was also woken each time the server read the answer before
// (the room that read makes on the helper's socket), so it ran and slept
// again on the server's core, twice a spawn.
TEST(SpawnHelperHalves, AHelperWaitingForItsNextRequestIsNotWokenWhenItsAnswerIsRead) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  const pid_t helper = helpers->pids().at(0);
  constexpr int kSpawns = 20;
  long woken = 0;
  for (int i = 0; i < kSpawns; ++i) {
    ChildPipes pipes;
    auto lease = send_now(*helpers, shell("exit 0"), pipes);
    ASSERT_TRUE(lease.has_value());
    ASSERT_TRUE(readable_within(lease->socket(), 5000ms));
    std::this_thread::sleep_for(5ms);  // the helper is back waiting for a request
    const long before = voluntary_switches(helper);
    StartedProgram started;
    std::error_code error;
    ASSERT_TRUE(helpers->read_answer_now(*lease, started, error)) << error.message();
    OwnedFd pidfd(started.pidfd);
    reap(started.pid);
    std::this_thread::sleep_for(5ms);  // time for a wake-up to show
    const long after = voluntary_switches(helper);
    ASSERT_GE(before, 0);
    woken += after - before;
  }
  EXPECT_LE(woken, 2) << "the helper woke " << woken << " times in " << kSpawns
                      << " reads of its answer";
}

// The helper dies with the request unanswered: its socket turns readable
// (end of file), the read fails, the helper is replaced, and finish() asks
// the new one.
TEST(SpawnHelperHalves, AHelperThatDiesBeforeAnsweringIsReplacedAndFinishAsksTheNewOne) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  const pid_t old_helper = helpers->pids().at(0);
  ASSERT_EQ(::kill(old_helper, SIGSTOP), 0);  // it reads nothing until it dies
  ChildPipes pipes;
  auto lease = send_now(*helpers, shell("echo $$"), pipes);
  ASSERT_TRUE(lease.has_value());
  ASSERT_EQ(::kill(old_helper, SIGKILL), 0);
  ASSERT_TRUE(readable_within(lease->socket(), 5000ms));
  StartedProgram started;
  std::error_code error;
  EXPECT_FALSE(helpers->read_answer_now(*lease, started, error));
  auto finished = helpers->finish(std::move(*lease), pipes.in(), pipes.out(), pipes.out(), error);
  ASSERT_TRUE(finished.has_value());
  ASSERT_GT(finished->pid, 0) << error.message();
  OwnedFd pidfd(finished->pidfd);
  EXPECT_EQ(pipes.drain(), std::to_string(finished->pid) + "\n");  // started once, not twice
  reap(finished->pid);
  const std::vector<pid_t> now = helpers->pids();
  EXPECT_NE(now.at(0), old_helper);
  EXPECT_NE(helpers.reports().find("spawn helper " + std::to_string(old_helper)), std::string::npos)
      << helpers.reports();
}

TEST(SpawnHelperHalves, GivingUpOnAnAnswerKillsTheHelperAndFinishAsksANewOne) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  const pid_t old_helper = helpers->pids().at(0);
  ASSERT_EQ(::kill(old_helper, SIGSTOP), 0);
  ChildPipes pipes;
  auto lease = send_now(*helpers, shell("echo $$"), pipes);
  ASSERT_TRUE(lease.has_value());
  EXPECT_FALSE(readable_within(lease->socket(), 100ms));  // a stopped helper answers nothing
  helpers->give_up_on(*lease);
  std::error_code error;
  auto finished = helpers->finish(std::move(*lease), pipes.in(), pipes.out(), pipes.out(), error);
  ASSERT_TRUE(finished.has_value());
  ASSERT_GT(finished->pid, 0) << error.message();
  OwnedFd pidfd(finished->pidfd);
  EXPECT_EQ(pipes.drain(), std::to_string(finished->pid) + "\n");
  reap(finished->pid);
  EXPECT_NE(helpers->pids().at(0), old_helper);
  EXPECT_NE(helpers.reports().find("did not answer"), std::string::npos) << helpers.reports();
  // Killed even though stopped, and reaped in the background.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (::kill(old_helper, 0) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(::kill(old_helper, 0), 0) << "the helper given up on still exists";
}

// A lease dropped with its answer unread (a server stopping before a
// spawner thread got to it): the answer must not reach the next request, so
// the helper is replaced.
TEST(SpawnHelperHalves, ALeaseDroppedUnreadRetiresItsHelperAndTheNextSpawnIsServed) {
  Helpers helpers(1);
  ASSERT_TRUE(helpers.started());
  const pid_t old_helper = helpers->pids().at(0);
  ChildPipes dropped_pipes;
  {
    auto lease = send_now(*helpers, shell("echo $$"), dropped_pipes);
    ASSERT_TRUE(lease.has_value());
    ASSERT_TRUE(readable_within(lease->socket(), 5000ms));  // answered, and never read
  }
  // The dropped request's child ran all the same: it is ours to reap.
  const std::string dropped_child = dropped_pipes.drain();
  ASSERT_FALSE(dropped_child.empty());
  reap(std::stoi(dropped_child));
  EXPECT_NE(helpers.reports().find("dropped with a request unanswered"), std::string::npos)
      << helpers.reports();
  ChildPipes pipes;
  std::error_code error;
  auto started = helpers->try_start(shell("echo $$"), pipes.in(), pipes.out(), pipes.out(), error);
  ASSERT_TRUE(started.has_value());
  ASSERT_GT(started->pid, 0) << error.message();
  OwnedFd pidfd(started->pidfd);
  EXPECT_EQ(pipes.drain(), std::to_string(started->pid) + "\n");  // its own answer, not the old one
  reap(started->pid);
  EXPECT_NE(helpers->pids().at(0), old_helper);
}

}  // namespace
}  // namespace wsexec
