#include "process/spawn_helpers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <utility>

#include "core/limits.hpp"
#include "core/spawn_wire.hpp"
#include "process/child_reaper.hpp"
#include "process/spawn_channel.hpp"
#include "process/spawn_helper_loop.hpp"
#include "process/wait_status.hpp"

extern char** environ;

namespace wsexec {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}

void set_answer_timeout(int socket) {
  const auto seconds = std::chrono::seconds(limits::kSpawnHelperAnswerTimeout).count();
  timeval timeout{static_cast<time_t>(seconds), 0};
  // Without them a stuck helper would hold a spawner thread forever (in
  // the read of its answer, or in sending a large request it does not
  // read); failing to set them is not a reason to refuse the helper.
  ::setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

}  // namespace

bool SpawnHelpers::start(std::size_t count, const std::string& executable, Report report,
                         std::error_code& error) {
  executable_ = executable;
  report_ = std::move(report);
  for (std::size_t i = 0; i < count; ++i) {
    helpers_.push_back(std::make_unique<Helper>());
    if (!launch(*helpers_.back(), error)) {
      stop();
      return false;
    }
  }
  running_.store(true, std::memory_order_release);
  return true;
}

bool SpawnHelpers::launch(Helper& helper, std::error_code& error) {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    error.assign(errno, std::system_category());
    return false;
  }
  OwnedFd ours(ends[0]);
  OwnedFd theirs(ends[1]);
  OwnedFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null) {
    error.assign(errno, std::system_category());
    return false;
  }
  // The helper's own stdout is never used; its stderr is the server's, so a
  // helper that cannot serve says why where the server's messages go.
  const int helper_stderr = is_open(STDERR_FILENO) ? STDERR_FILENO : null.get();
  std::string name = "wsexec-spawner";  // what ps shows, and what tests look for
  std::string flag = kSpawnHelperFlag;
  char* argv[] = {name.data(), flag.data(), nullptr};
  const StartedProgram started = wsexec::start_program(
      executable_.c_str(), argv, environ, theirs.get(), null.get(), helper_stderr, error);
  if (started.pid < 0) return false;
  ::close(started.pidfd);  // the helper is waited for by pid, when retired
  set_answer_timeout(ours.get());
  helper.socket = std::move(ours);
  helper.pid = started.pid;
  return true;
}

void SpawnHelpers::retire(Helper& helper, bool stuck, const std::string& why) {
  helper.socket.reset();  // a live helper sees EOF and ends
  if (helper.pid <= 0) return;
  const pid_t pid = std::exchange(helper.pid, -1);
  ::kill(pid, SIGKILL);  // a stuck one would not end by itself
  std::string how = "killed";
  if (stuck) {
    // It may be stuck where even SIGKILL waits (a hung disk): not on this
    // thread's time.
    reap_in_background(pid, OwnedFd());
  } else {
    // It hung up, so it has ended or is ending: its status says why.
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    how = describe_wait_status(status);
  }
  if (report_) {
    report_("spawn helper " + std::to_string(pid) + " " + why + " (" + how +
            "); starting a new one");
  }
}

SpawnHelpers::Helper& SpawnHelpers::pick() {
  // Round robin, skipping busy helpers when a free one exists: one per
  // spawner thread, so a free one usually does.
  const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < helpers_.size(); ++i) {
    Helper& helper = *helpers_[(first + i) % helpers_.size()];
    if (helper.mutex.try_lock()) return helper;
  }
  Helper& helper = *helpers_[first % helpers_.size()];
  helper.mutex.lock();
  return helper;
}

bool SpawnHelpers::exchange(Helper& helper, const std::string& request, const std::vector<int>& fds,
                            StartedProgram& started, std::error_code& error) {
  if (!send_with_descriptors(helper.socket.get(), request, fds, error)) return false;
  std::string bytes;
  std::vector<OwnedFd> pidfd;
  if (!receive_with_descriptors(helper.socket.get(), kSpawnReplyBytes, bytes, pidfd, 1, error)) {
    if (!error) error = std::make_error_code(std::errc::broken_pipe);  // it hung up
    return false;
  }
  const std::optional<SpawnReply> reply = decode_spawn_reply(bytes);
  if (!reply || (reply->error == 0 && pidfd.empty())) {
    error = std::make_error_code(std::errc::protocol_error);
    return false;
  }
  started.pid = reply->pid;
  started.pidfd = reply->error == 0 ? pidfd.front().release() : -1;
  if (reply->error != 0) error.assign(reply->error, std::system_category());
  return true;
}

std::optional<StartedProgram> SpawnHelpers::try_start(const SpawnRequest& request, int stdin_fd,
                                                      int stdout_fd, int stderr_fd,
                                                      std::error_code& error) {
  if (!running()) return std::nullopt;
  const std::string message = encode_spawn_request(
      request.executable, request.argv, request.environment,
      request.terminal == TerminalMode::session, limits::kMaxSpawnRequestBytes);
  if (message.empty()) {
    error = std::make_error_code(std::errc::argument_list_too_long);  // as execve says it
    return {};
  }
  const std::vector<int> fds{stdin_fd, stdout_fd, stderr_fd};
  Helper& helper = pick();
  std::lock_guard<std::mutex> held(helper.mutex, std::adopt_lock);
  if (!running()) return std::nullopt;  // stopped while we waited for it
  StartedProgram started;
  for (int attempt = 0; attempt < 2; ++attempt) {
    error.clear();
    if (!helper.socket && !launch(helper, error)) break;
    if (exchange(helper, message, fds, started, error)) break;
    // The helper is gone or broken: what it did with this request is
    // unknown, so it is replaced and asked once more.
    const bool stuck = error == std::errc::resource_unavailable_try_again;
    retire(helper, stuck, stuck ? "did not answer" : "failed: " + error.message());
  }
  if (!helper.socket) {
    // The replacement could not be started or could not serve either:
    // something about helpers fails here (a wsexec run under a tool that /proc/self/exe
    // does not lead back to, say). Spawning directly is slower in a large
    // server but works, so the server goes on that way, and says so.
    running_.store(false, std::memory_order_release);
    if (report_) report_("spawn helpers keep failing: starting programs directly from now on");
    error.clear();
    return std::nullopt;
  }
  if (error) {
    // Exec failed: the child is ours (CLONE_PARENT) and has exited.
    if (started.pid > 0) kill_group_and_reap(started.pid);
    return {};
  }
  return started;
}

void SpawnHelpers::stop() {
  running_.store(false, std::memory_order_release);
  for (auto& helper : helpers_) {
    std::lock_guard<std::mutex> held(helper->mutex);
    helper->socket.reset();
    if (helper->pid > 0) {
      while (::waitpid(helper->pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      helper->pid = -1;
    }
  }
}

std::vector<pid_t> SpawnHelpers::pids() {
  std::vector<pid_t> pids;
  for (auto& helper : helpers_) {
    std::lock_guard<std::mutex> held(helper->mutex);
    pids.push_back(helper->pid);
  }
  return pids;
}

SpawnHelpers& spawn_helpers() {
  static SpawnHelpers helpers;
  return helpers;
}

}  // namespace wsexec
