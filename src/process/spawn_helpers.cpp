#include "process/spawn_helpers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/major.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
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

// How long a blocking exchange with a helper waits for each step.
constexpr int kAnswerWaitMs =
    static_cast<int>(std::chrono::milliseconds(limits::kSpawnHelperAnswerTimeout).count());

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}

// Our children (the helpers clone with CLONE_PARENT, so theirs are ours),
// from every thread's list: a helper's children are listed under the thread
// that started the helper.
std::vector<pid_t> our_children() {
  std::vector<pid_t> children;
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return children;
  while (const dirent* task = ::readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::ifstream list(std::string("/proc/self/task/") + task->d_name + "/children");
    pid_t pid;
    while (list >> pid) children.push_back(pid);
  }
  ::closedir(tasks);
  return children;
}

// A helper that died or was killed with a request in hand may have started
// its child already: ours, but its pid never reached us, so nothing would
// ever reap it, and a retry would start a second child on the same pipes.
// It is found by its stdin, the descriptor we sent (`stdin_fd`): killed with
// its group and reaped in the background.
void end_orphans_on(int stdin_fd) {
  struct stat ours {};
  if (::fstat(stdin_fd, &ours) != 0) return;
  // Only a stdin made for this one child tells it apart: the server's are a
  // new pipe or a new terminal's slave (the kernel numbers UNIX 98 slaves
  // with a block of majors of its own). A descriptor many children share
  // (/dev/null, say) would also match children whose pids we know.
  const unsigned int device_major = major(ours.st_rdev);
  const bool pty_slave = S_ISCHR(ours.st_mode) && device_major >= UNIX98_PTY_SLAVE_MAJOR &&
                         device_major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT;
  if (!S_ISFIFO(ours.st_mode) && !pty_slave) return;
  for (const pid_t pid : our_children()) {
    struct stat theirs {};
    const std::string their_stdin = "/proc/" + std::to_string(pid) + "/fd/0";
    if (::stat(their_stdin.c_str(), &theirs) != 0) continue;  // gone, or a zombie
    if (theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino) continue;
    ::kill(-pid, SIGKILL);  // its own group, if it got as far as making it
    ::kill(pid, SIGKILL);
    reap_in_background(pid, OwnedFd());
  }
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

SpawnHelpers::Helper* SpawnHelpers::pick_free_now() {
  // Round robin, skipping busy helpers: one per spawner thread, so a free
  // one usually exists.
  const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
  for (std::size_t i = 0; i < helpers_.size(); ++i) {
    Helper& helper = *helpers_[(first + i) % helpers_.size()];
    if (helper.free.try_acquire()) return &helper;
  }
  return nullptr;
}

SpawnHelpers::Helper* SpawnHelpers::pick_if_all_free() {
  std::size_t taken = 0;
  while (taken < helpers_.size() && helpers_[taken]->free.try_acquire()) ++taken;
  if (taken == helpers_.size()) {
    const std::size_t chosen = next_.fetch_add(1, std::memory_order_relaxed) % helpers_.size();
    for (std::size_t i = 0; i < helpers_.size(); ++i) {
      if (i != chosen) helpers_[i]->free.release();
    }
    return helpers_[chosen].get();
  }
  for (std::size_t i = 0; i < taken; ++i) helpers_[i]->free.release();
  return nullptr;
}

SpawnHelpers::Helper& SpawnHelpers::pick() {
  if (Helper* free = pick_free_now()) return *free;
  Helper& helper = *helpers_[next_.fetch_add(1, std::memory_order_relaxed) % helpers_.size()];
  helper.free.acquire();
  return helper;
}

bool SpawnHelpers::exchange(Helper& helper, const std::string& request, const std::vector<int>& fds,
                            bool sent, StartedProgram& started, std::error_code& error) {
  if (!sent && !send_with_descriptors(helper.socket.get(), request, fds, error, kAnswerWaitMs)) {
    return false;
  }
  return receive_answer(helper, started, error);
}

bool SpawnHelpers::receive_answer(Helper& helper, StartedProgram& started, std::error_code& error) {
  std::string bytes;
  std::vector<OwnedFd> pidfd;
  if (!receive_with_descriptors(helper.socket.get(), kSpawnReplyBytes, bytes, pidfd, 1, error,
                                kAnswerWaitMs)) {
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

namespace {

std::string encode_for_helper(const SpawnRequest& request) {
  return encode_spawn_request(request.executable, request.argv, request.environment,
                              request.terminal == TerminalMode::session,
                              limits::kMaxSpawnRequestBytes);
}

}  // namespace

std::optional<StartedProgram> SpawnHelpers::try_start(const SpawnRequest& request, int stdin_fd,
                                                      int stdout_fd, int stderr_fd,
                                                      std::error_code& error, bool may_wait) {
  if (!running()) return std::nullopt;
  std::string message = encode_for_helper(request);
  if (message.empty()) {
    error = std::make_error_code(std::errc::argument_list_too_long);  // as execve says it
    return {};
  }
  Helper* helper = may_wait ? &pick() : pick_free_now();
  if (helper == nullptr) return std::nullopt;
  return serve_on(*helper, message, {stdin_fd, stdout_fd, stderr_fd}, /*sent=*/false, error);
}

std::optional<SpawnHelpers::Lease> SpawnHelpers::try_lease_now(const SpawnRequest& request) {
  if (!running()) return std::nullopt;
  // Only while no other spawn is under way: in a storm a worker busy with
  // handshakes reads the answer late, and the spawner threads keep one
  // helper each (main.cpp starts one more than them). Checked before the
  // request is encoded: in a storm most workers find none, and the spawner
  // thread encodes it then.
  Helper* helper = pick_if_all_free();
  if (helper == nullptr) return std::nullopt;
  std::string message = encode_for_helper(request);
  if (message.empty()) {  // try_start reports it
    helper->free.release();
    return std::nullopt;
  }
  std::optional<Lease> lease(Lease(*this, *helper, std::move(message)));
  lease->sent_ = false;
  return lease;
}

void SpawnHelpers::send_now(Lease& lease, int stdin_fd, int stdout_fd, int stderr_fd) {
  Helper& helper = *lease.helper_;
  // A helper to start (none yet, or gone) is left to the spawner thread
  // that finishes the request: starting one takes an exec.
  if (!running() || !helper.socket) return;
  std::error_code error;
  // Never waits: the socket has room for a request (a helper holds at most
  // one), unless the helper is stuck.
  if (!send_with_descriptors(helper.socket.get(), lease.message_, {stdin_fd, stdout_fd, stderr_fd},
                             error, /*wait_ms=*/0)) {
    const bool stuck = error == std::errc::resource_unavailable_try_again;
    retire(helper, stuck, stuck ? "did not take a request" : "failed: " + error.message());
    return;
  }
  lease.sent_ = true;
}

bool SpawnHelpers::read_answer_now(Lease& lease, StartedProgram& started, std::error_code& error) {
  Helper& helper = *lease.helper_;
  error.clear();
  if (!receive_answer(helper, started, error)) {
    retire(helper, /*stuck=*/false, "failed: " + error.message());
    lease.sent_ = false;
    lease.answer_lost_ = true;
    return false;
  }
  lease.owner_ = nullptr;
  helper.free.release();
  if (error) {
    // Exec failed: the child is ours (CLONE_PARENT) and has exited.
    if (started.pid > 0) kill_group_and_reap(started.pid);
    started = StartedProgram{};
  }
  return true;
}

void SpawnHelpers::give_up_on(Lease& lease) {
  // It may be stuck where even SIGKILL waits: retire() reaps it in the background.
  retire(*lease.helper_, /*stuck=*/true, "did not answer");
  lease.sent_ = false;
  lease.answer_lost_ = true;
}

std::optional<StartedProgram> SpawnHelpers::finish(Lease lease, int stdin_fd, int stdout_fd,
                                                   int stderr_fd, std::error_code& error) {
  Helper& helper = *lease.helper_;
  lease.owner_ = nullptr;  // serve_on gives the helper back
  if (lease.answer_lost_) end_orphans_on(stdin_fd);
  return serve_on(helper, lease.message_, {stdin_fd, stdout_fd, stderr_fd}, lease.sent_, error);
}

SpawnHelpers::Lease::~Lease() {
  if (owner_ == nullptr) return;
  // Dropped with its answer unread (the server stopped before a spawner
  // thread got to it): that answer must not reach the next request.
  if (sent_) owner_->retire(*helper_, /*stuck=*/true, "dropped with a request unanswered");
  helper_->free.release();
}

std::optional<StartedProgram> SpawnHelpers::serve_on(Helper& helper, const std::string& message,
                                                     const std::vector<int>& fds, bool sent,
                                                     std::error_code& error) {
  struct GiveBack {
    Helper& helper;
    ~GiveBack() { helper.free.release(); }
  } give_back{helper};
  if (!running() && !sent) return std::nullopt;  // stopped while we waited for it
  StartedProgram started;
  for (int attempt = 0; attempt < 2; ++attempt) {
    error.clear();
    if (!helper.socket && !launch(helper, error)) break;
    if (exchange(helper, message, fds, sent && attempt == 0, started, error)) break;
    // The helper is gone or broken: what it did with this request is
    // unknown, so it is replaced and asked once more, once a child it may
    // have started is ended.
    const bool stuck = error == std::errc::resource_unavailable_try_again;
    retire(helper, stuck, stuck ? "did not answer" : "failed: " + error.message());
    end_orphans_on(fds.front());
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
    // Exec failed: the child is ours (CLONE_PARENT) and has exited. A
    // failure, not "no helper" (nullopt): the caller must not start it again.
    if (started.pid > 0) kill_group_and_reap(started.pid);
    return StartedProgram{};
  }
  return started;
}

void SpawnHelpers::stop() {
  running_.store(false, std::memory_order_release);
  for (auto& helper : helpers_) {
    helper->free.acquire();
    helper->socket.reset();
    if (helper->pid > 0) {
      while (::waitpid(helper->pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      helper->pid = -1;
    }
    helper->free.release();
  }
}

std::vector<pid_t> SpawnHelpers::pids() {
  std::vector<pid_t> pids;
  for (auto& helper : helpers_) {
    helper->free.acquire();
    pids.push_back(helper->pid);
    helper->free.release();
  }
  return pids;
}

SpawnHelpers& spawn_helpers() {
  static SpawnHelpers helpers;
  return helpers;
}

}  // namespace wsexec
