#include "process/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "process/program_start.hpp"

namespace wsexec {
namespace {

// A descriptor that closes itself unless released: spawn() has several
// exits, and none may leak a pipe end.
class OwnedFd {
 public:
  OwnedFd() = default;
  explicit OwnedFd(int fd) : fd_(fd) {}
  OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  OwnedFd& operator=(OwnedFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~OwnedFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct PipeEnds {
  OwnedFd read;
  OwnedFd write;
};

// Close-on-exec from birth, so a child spawned by another thread at the same
// moment cannot inherit these ends.
bool make_pipe(PipeEnds& ends, std::error_code& error) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error.assign(errno, std::system_category());
    return false;
  }
  ends.read.reset(fds[0]);
  ends.write.reset(fds[1]);
  return true;
}

std::vector<char*> as_c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (const auto& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

void StartedChild::take(StartedChild& other) {
  pid_ = std::exchange(other.pid_, -1);
  pidfd_ = std::exchange(other.pidfd_, -1);
  stdin_ = std::exchange(other.stdin_, -1);
  stdout_ = std::exchange(other.stdout_, -1);
  stderr_ = std::exchange(other.stderr_, -1);
}

void StartedChild::discard() {
  for (int fd : {pidfd_, stdin_, stdout_, stderr_}) {
    if (fd >= 0) ::close(fd);
  }
  pidfd_ = stdin_ = stdout_ = stderr_ = -1;
  if (pid_ > 0) kill_group_and_reap(std::exchange(pid_, -1));
}

StartedChild ChildProcess::start(const SpawnRequest& request, std::error_code& error) {
  PipeEnds in, out, err;
  if (!make_pipe(in, error) || !make_pipe(out, error) || !make_pipe(err, error)) return {};

  auto argv = as_c_strings(request.argv);
  auto envp = as_c_strings(request.environment);
  const StartedProgram program =
      start_program(request.executable.c_str(), argv.data(), envp.data(), in.read.get(),
                    out.write.get(), err.write.get(), error);
  if (program.pid < 0) return {};
  // The child's ends now live in the child; ours would hide its EOFs.
  in.read.reset();
  out.write.reset();
  err.write.reset();
  StartedChild started;
  started.pid_ = program.pid;
  started.pidfd_ = program.pidfd;
  started.stdin_ = in.write.release();
  started.stdout_ = out.read.release();
  started.stderr_ = err.read.release();
  return started;
}

std::unique_ptr<ChildProcess> ChildProcess::adopt(const boost::asio::any_io_executor& executor,
                                                  StartedChild started) {
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess(
      executor, started.pid_, started.pidfd_, started.stdin_, started.stdout_, started.stderr_));
  started.pid_ = -1;  // owned by `child` now: nothing left to discard
  started.pidfd_ = started.stdin_ = started.stdout_ = started.stderr_ = -1;
  return child;
}

std::unique_ptr<ChildProcess> ChildProcess::spawn(const boost::asio::any_io_executor& executor,
                                                  const SpawnRequest& request,
                                                  std::error_code& error) {
  StartedChild started = start(request, error);
  if (!started) return nullptr;
  return adopt(executor, std::move(started));
}

ChildProcess::ChildProcess(const boost::asio::any_io_executor& executor, pid_t pid, int pidfd,
                           int stdin_fd, int stdout_fd, int stderr_fd)
    : pid_(pid),
      pidfd_(executor, pidfd),
      stdin_(executor, stdin_fd),
      stdout_(executor, stdout_fd),
      stderr_(executor, stderr_fd) {}

ChildProcess::~ChildProcess() {
  if (!reaped_) kill_group_and_reap(pid_);
}

void ChildProcess::close_stdin() {
  boost::system::error_code ignored;  // closing twice, or a pipe already broken, is fine
  stdin_.close(ignored);
}

void ChildProcess::signal_group(int signal) {
  if (reaped_) return;
  ::kill(-pid_, signal);  // ESRCH: the group is already gone, which is the goal
}

int ChildProcess::reap() {
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, 0);
  } while (got < 0 && errno == EINTR);
  reaped_ = true;
  boost::system::error_code ignored;  // the pidfd has served its purpose
  pidfd_.close(ignored);
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return std::string("killed by SIG") + (name ? name : std::to_string(WTERMSIG(status)));
  }
  return "ended (status " + std::to_string(status) + ")";
}

}  // namespace wsexec
