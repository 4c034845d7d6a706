// A spawn helper that dies with a child started and no answer given: the
// child is ours (CLONE_PARENT) but its pid never reached us. It must not be
// left running or unreaped, and the retry must not find it on the pipes.
//
// The helper here is this test binary itself, started by SpawnHelpers as
// it starts wsexec (`<binary> --internal-spawn-helper`, the socket on its
// stdin): before main() runs, it starts the child of the request it reads
// exactly as a real helper does, then exits without answering.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/limits.hpp"
#include "core/spawn_wire.hpp"
#include "process/owned_fd.hpp"
#include "process/program_start.hpp"
#include "process/pseudo_terminal.hpp"
#include "process/spawn_channel.hpp"
#include "process/spawn_helper_loop.hpp"
#include "process/spawn_helpers.hpp"

namespace wsexec {
namespace {

using namespace std::chrono_literals;

bool started_as_spawn_helper() {
  std::ifstream cmdline("/proc/self/cmdline");
  std::string program, flag;
  std::getline(cmdline, program, '\0');
  std::getline(cmdline, flag, '\0');
  return flag == kSpawnHelperFlag;
}

// One request, its child started with CLONE_PARENT, then death unanswered.
[[noreturn]] void start_one_child_then_die() {
  std::string head, body;
  std::vector<OwnedFd> fds, stray;
  std::error_code error;
  if (!receive_with_descriptors(STDIN_FILENO, kSpawnHeaderBytes, head, fds, 3, error)) _exit(1);
  const auto header = decode_spawn_header(head, limits::kMaxSpawnRequestBytes);
  if (!header || fds.size() != 3) _exit(1);
  if (!receive_with_descriptors(STDIN_FILENO, header->body_bytes, body, stray, 0, error)) _exit(1);
  const auto strings = decode_spawn_body(*header, body);
  if (!strings) _exit(1);
  start_program_for_parent(strings->executable, strings->argv.data(), strings->envp.data(),
                           fds[0].get(), fds[1].get(), fds[2].get(), error, ChildSession::own_group,
                           nullptr);
  _exit(0);
}

// With this variable naming a file, only the first helper dies that way
// (it makes the file); the ones after it are real helpers.
constexpr const char* kFirstHelperOnlyMark = "WSEXEC_TEST_ONLY_FIRST_HELPER_DIES";

// Runs before main() in every run of this binary; only a run as a helper
// goes further.
const bool kHelperRole = [] {
  if (!started_as_spawn_helper()) return false;
  if (const char* mark = std::getenv(kFirstHelperOnlyMark)) {
    const int made = ::open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (made < 0) _exit(run_spawn_helper(STDIN_FILENO));
    ::close(made);
  }
  start_one_child_then_die();
}();

// Every thread's list: a helper's children are listed under the thread
// that started the helper.
std::set<pid_t> our_children() {
  std::set<pid_t> children;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream list(task.path() / "children");
    pid_t pid;
    while (list >> pid) children.insert(pid);
  }
  return children;
}

// Children that were not there `before`, once they have had `limit` to go.
std::vector<pid_t> new_children_after(const std::set<pid_t>& before,
                                      std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<pid_t> added;
  do {
    added.clear();
    for (const pid_t pid : our_children()) {
      if (!before.contains(pid)) added.push_back(pid);
    }
    if (added.empty()) break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return added;
}

// A spawn's pipes, the child's ends and ours, and a request for a sleep.
struct OrphanCase {
  OwnedFd child_in, our_in, our_out, child_out;
  SpawnRequest request;
  OrphanCase() {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) std::abort();
    child_in = OwnedFd(in[0]);
    our_in = OwnedFd(in[1]);
    our_out = OwnedFd(out[0]);
    child_out = OwnedFd(out[1]);
    request.executable = "/bin/sleep";
    request.argv = {"sleep", "30"};
    request.environment = {"PATH=/usr/bin:/bin"};
  }
};

// Ends what is `left` (ours to end, whatever the result) and says whether
// anything was.
::testing::AssertionResult none_left(const std::vector<pid_t>& left) {
  for (const pid_t pid : left) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  if (left.empty()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << left.size() << " children of dead helpers were left running or unreaped";
}

// Each helper (the first, then its replacement) starts a sleep on
// `child_stdin` and dies: the helpers are given up on, the caller is told to
// start it itself, and neither child is left.
void expect_no_orphan_when_every_helper_dies(const OrphanCase& spawn, int child_stdin) {
  SpawnHelpers helpers;
  std::vector<std::string> reports;
  std::error_code error;
  ASSERT_TRUE(helpers.start(
      1, "/proc/self/exe", [&](const std::string& message) { reports.push_back(message); }, error))
      << error.message();
  const std::set<pid_t> before = our_children();  // the helper among them
  const auto started = helpers.try_start(spawn.request, child_stdin, spawn.child_out.get(),
                                         spawn.child_out.get(), error);
  EXPECT_FALSE(started.has_value());
  EXPECT_FALSE(helpers.running());
  EXPECT_GE(reports.size(), 2u);
  EXPECT_TRUE(none_left(new_children_after(before, 3000ms)));
}

TEST(SpawnHelperOrphan, AChildStartedByAHelperThatDiedUnansweredIsKilledAndReaped) {
  OrphanCase spawn;
  expect_no_orphan_when_every_helper_dies(spawn, spawn.child_in.get());
}

// --tty: the child's stdin is a new terminal's slave, a character device
// rather than a pipe, and is recognised as made for that child too.
TEST(SpawnHelperOrphan, AChildOnATerminalStartedByAHelperThatDiedIsKilledAndReaped) {
  std::error_code error;
  const PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::session, {}, error);
  ASSERT_TRUE(terminal.slave) << error.message();
  OrphanCase spawn;
  expect_no_orphan_when_every_helper_dies(spawn, terminal.slave.get());
}

// Sets kFirstHelperOnlyMark to a file of its own for as long as it lives.
class OnlyTheFirstHelperDies {
 public:
  OnlyTheFirstHelperDies()
      : path_(std::filesystem::temp_directory_path() /
              ("wsexec-orphan-" + std::to_string(::getpid()) + "-" + std::to_string(++made_))) {
    std::filesystem::remove(path_);
    ::setenv(kFirstHelperOnlyMark, path_.c_str(), 1);
  }
  ~OnlyTheFirstHelperDies() {
    ::unsetenv(kFirstHelperOnlyMark);
    std::filesystem::remove(path_);
  }

 private:
  static inline int made_ = 0;
  std::filesystem::path path_;
};

// The worker's halves: the request sent with send_now, its answer lost
// (read_answer_now at the helper's death) or given up on, then finish() on
// a thread that may wait, as AnswerWait does. Only the first helper dies:
// its replacement answers, so the orphan can only be found by finish().
class SpawnHelperOrphanOnTheWorkersPath : public ::testing::Test {
 protected:
  void SetUp() override {
    std::error_code error;
    ASSERT_TRUE(helpers.start(
        1, "/proc/self/exe", [](const std::string&) {}, error))
        << error.message();
    before = our_children();
    auto taken = helpers.try_lease_now(spawn.request);
    ASSERT_TRUE(taken.has_value());
    lease.emplace(std::move(*taken));  // a Lease moves, but is not assigned
    helpers.send_now(*lease, spawn.child_in.get(), spawn.child_out.get(), spawn.child_out.get());
    ASSERT_GE(lease->socket(), 0);
  }

  // finish(), as a spawner thread runs it: the replacement's child is
  // started (and ended here), and nothing else of ours is left.
  void finish_and_expect_no_orphan() {
    std::error_code error;
    const auto started = helpers.finish(std::move(*lease), spawn.child_in.get(),
                                        spawn.child_out.get(), spawn.child_out.get(), error);
    EXPECT_TRUE(started.has_value() && started->pid > 0) << error.message();
    if (started && started->pid > 0) {
      ::kill(started->pid, SIGKILL);
      ::waitpid(started->pid, nullptr, 0);
    }
    helpers.stop();  // the replacement, reaped
    EXPECT_TRUE(none_left(new_children_after(before, 3000ms)));
  }

  OnlyTheFirstHelperDies mark;  // before the helpers start
  SpawnHelpers helpers;
  std::set<pid_t> before;
  OrphanCase spawn;
  std::optional<SpawnHelpers::Lease> lease;
};

TEST_F(SpawnHelperOrphanOnTheWorkersPath, AChildOfAHelperWhoseAnswerWasLostIsKilledAndReaped) {
  pollfd readable{lease->socket(), POLLIN, 0};
  ASSERT_EQ(::poll(&readable, 1, 5000), 1);  // the helper's death
  StartedProgram program;
  std::error_code error;
  EXPECT_FALSE(helpers.read_answer_now(*lease, program, error));
  finish_and_expect_no_orphan();
}

TEST_F(SpawnHelperOrphanOnTheWorkersPath, AChildOfAHelperGivenUpOnIsKilledAndReaped) {
  // Given up on before its child runs, the test would prove nothing.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  bool child_seen = false;
  while (!child_seen && std::chrono::steady_clock::now() < deadline) {
    for (const pid_t pid : our_children()) {
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      if (!before.contains(pid) && std::getline(comm, name) && name == "sleep") child_seen = true;
    }
    if (!child_seen) std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(child_seen);
  helpers.give_up_on(*lease);  // what the answer's timeout does
  finish_and_expect_no_orphan();
}

}  // namespace
}  // namespace wsexec
