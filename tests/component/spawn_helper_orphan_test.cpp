// A spawn helper that dies with a child started and no answer given: the
// child is ours (CLONE_PARENT) but its pid never reached us. It must not be
// left running or unreaped, and the retry must not find it on the pipes.
//
// The helper here is this test binary itself, started by SpawnHelpers as
// it starts wsexec (`<binary> --internal-spawn-helper`, the socket on its
// stdin): before main() runs, it starts the child of the request it reads
// exactly as a real helper does, then exits without answering.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/limits.hpp"
#include "core/spawn_wire.hpp"
#include "process/owned_fd.hpp"
#include "process/program_start.hpp"
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

// Runs before main() in every run of this binary; only a run as a helper
// goes further.
const bool kHelperRole = [] {
  if (started_as_spawn_helper()) start_one_child_then_die();
  return false;
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

TEST(SpawnHelperOrphan, AChildStartedByAHelperThatDiedUnansweredIsKilledAndReaped) {
  SpawnHelpers helpers;
  std::vector<std::string> reports;
  std::error_code error;
  ASSERT_TRUE(helpers.start(
      1, "/proc/self/exe", [&](const std::string& message) { reports.push_back(message); }, error))
      << error.message();
  const std::set<pid_t> before = our_children();  // the helper among them

  int in[2], out[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  OwnedFd child_in(in[0]), our_in(in[1]), our_out(out[0]), child_out(out[1]);
  SpawnRequest request;
  request.executable = "/bin/sleep";
  request.argv = {"sleep", "30"};
  request.environment = {"PATH=/usr/bin:/bin"};

  // Each helper (the first, then its replacement) starts a sleep and dies:
  // the helpers are given up on, and the caller is told to start it itself.
  const auto started =
      helpers.try_start(request, child_in.get(), child_out.get(), child_out.get(), error);
  EXPECT_FALSE(started.has_value());
  EXPECT_FALSE(helpers.running());
  EXPECT_GE(reports.size(), 2u);

  const std::vector<pid_t> left = new_children_after(before, 3000ms);
  for (const pid_t pid : left) {  // ours to end, whatever the result
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  EXPECT_TRUE(left.empty()) << left.size()
                            << " children of dead helpers were left running or unreaped";
}

}  // namespace
}  // namespace wsexec
