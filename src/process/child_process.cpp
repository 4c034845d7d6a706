#include "process/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "process/child_reaper.hpp"
#include "process/program_start.hpp"
#include "process/pseudo_terminal.hpp"
#include "process/spawn_helpers.hpp"

namespace wsexec {
namespace {

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

// Registers `fd` with the event loop as `into`, which then owns it; on
// failure `fd` keeps it (and closes it), so it is closed exactly once.
bool adopt_descriptor(boost::asio::posix::stream_descriptor& into, OwnedFd& fd,
                      std::error_code& error) {
  boost::system::error_code registration;
  into.assign(fd.get(), registration);
  if (registration) {
    error.assign(registration.value(), std::system_category());
    return false;
  }
  fd.release();
  return true;
}

}  // namespace

void StartedChild::take(StartedChild& other) noexcept {
  pid_ = std::exchange(other.pid_, -1);
  pidfd_ = std::move(other.pidfd_);
  stdin_ = std::move(other.stdin_);
  stdout_ = std::move(other.stdout_);
  stderr_ = std::move(other.stderr_);
}

void StartedChild::discard() noexcept {
  stdin_.reset();
  stdout_.reset();
  stderr_.reset();
  if (pid_ > 0) {
    const pid_t pid = std::exchange(pid_, -1);
    ::kill(-pid, SIGKILL);  // ESRCH: the group is already gone, which is the goal
    reap_in_background(pid, std::move(pidfd_));
  }
  pidfd_.reset();
}

namespace {

// The descriptors a child is started on, and the ends we keep. The child's
// ends are closed once it runs: ours would hide its EOFs (or, on a
// terminal, its hang-up).
struct ChildEnds {
  OwnedFd child_stdin, child_stdout, child_stderr;
  OwnedFd our_stdin, our_stdout, our_stderr;
};

bool make_pipes(ChildEnds& ends, std::error_code& error) {
  PipeEnds in, out, err;
  if (!make_pipe(in, error) || !make_pipe(out, error) || !make_pipe(err, error)) return false;
  ends = {std::move(in.read),  std::move(out.write), std::move(err.write),
          std::move(in.write), std::move(out.read),  std::move(err.read)};
  return true;
}

// --unbuffered: stdout becomes a raw terminal, stdin and stderr stay pipes.
bool put_stdout_on_terminal(ChildEnds& ends, TerminalSize size, std::error_code& error) {
  PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::stdout_only, size, error);
  if (!terminal.master) return false;
  ends.child_stdout = std::move(terminal.slave);
  ends.our_stdout = std::move(terminal.master);
  return true;
}

// --pty: all three on the terminal; keystrokes go to the master through a
// second descriptor of it (the event loop registers each descriptor once,
// and the feeder and the output pump each need one). Our stderr end is a
// pipe nobody writes to: its pump sees EOF at once.
bool make_terminal_session(ChildEnds& ends, TerminalSize size, std::error_code& error) {
  PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::session, size, error);
  if (!terminal.master) return false;
  OwnedFd keystrokes(::fcntl(terminal.master.get(), F_DUPFD_CLOEXEC, 3));
  PipeEnds unused_stderr;
  if (!keystrokes) {
    error.assign(errno, std::system_category());
    return false;
  }
  if (!make_pipe(unused_stderr, error)) return false;
  ends.child_stdin = std::move(terminal.slave);  // placed on 0, 1 and 2 by start_program
  ends.our_stdin = std::move(keystrokes);
  ends.our_stdout = std::move(terminal.master);
  ends.our_stderr = std::move(unused_stderr.read);
  return true;
}

// The pipes (or terminal) a child is started on, for `request`.
bool make_child_ends(const SpawnRequest& request, ChildEnds& ends, std::error_code& error) {
  if (request.terminal == TerminalMode::session) {
    return make_terminal_session(ends, request.terminal_size, error);
  }
  return make_pipes(ends, error) && (request.terminal != TerminalMode::stdout_only ||
                                     put_stdout_on_terminal(ends, request.terminal_size, error));
}

struct ChildFds {
  int in, out, err;
};

// The descriptors the child gets as 0, 1 and 2: in a terminal session, the
// terminal for all three.
ChildFds child_fds(const SpawnRequest& request, const ChildEnds& ends) {
  const int in = ends.child_stdin.get();
  if (request.terminal == TerminalMode::session) return {in, in, in};
  return {in, ends.child_stdout.get(), ends.child_stderr.get()};
}

// The child `program` started on `ends` (none if it failed to start).
StartedChild started_on(ChildEnds& ends, const StartedProgram& program) {
  if (program.pid < 0) return {};
  // The child's ends now live in the child; ours would hide its EOFs.
  ends.child_stdin.reset();
  ends.child_stdout.reset();
  ends.child_stderr.reset();
  return StartedChild(program.pid, OwnedFd(program.pidfd), std::move(ends.our_stdin),
                      std::move(ends.our_stdout), std::move(ends.our_stderr));
}

// Starts `request` on `ends`: through the helper `lease` already holds the
// request for, else through any spawn helper, else directly.
StartedChild start_on(ChildEnds& ends, const SpawnRequest& request,
                      std::optional<SpawnHelpers::Lease> lease, std::error_code& error,
                      bool may_wait = true) {
  const ChildFds fds = child_fds(request, ends);
  // Through a spawn helper when the server runs them (spawn_helpers.hpp),
  // so the cost does not grow with the server's descriptors.
  std::optional<StartedProgram> program =
      lease ? spawn_helpers().finish(std::move(*lease), fds.in, fds.out, fds.err, error)
            : spawn_helpers().try_start(request, fds.in, fds.out, fds.err, error, may_wait);
  if (!program) {
    auto argv = as_c_strings(request.argv);
    auto envp = as_c_strings(request.environment);
    const bool session = request.terminal == TerminalMode::session;
    program = start_program(request.executable.c_str(), argv.data(), envp.data(), fds.in, fds.out,
                            fds.err, error,
                            session ? ChildSession::own_terminal_session : ChildSession::own_group);
  }
  return started_on(ends, *program);
}

}  // namespace

struct ChildLaunch::Parts {
  bool begun = false;  // a helper was taken and the ends made
  ChildEnds ends;
  std::error_code error;  // making the ends failed
  std::optional<SpawnHelpers::Lease> lease;
};

ChildLaunch::ChildLaunch(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
ChildLaunch::ChildLaunch(ChildLaunch&&) noexcept = default;
ChildLaunch& ChildLaunch::operator=(ChildLaunch&&) noexcept = default;
ChildLaunch::~ChildLaunch() = default;
int ChildLaunch::answer_socket() const {
  return parts_ && parts_->lease ? parts_->lease->socket() : -1;
}

StartedChild ChildProcess::start(const SpawnRequest& request, std::error_code& error,
                                 bool on_worker) {
  ChildEnds ends;
  if (!make_child_ends(request, ends, error)) return {};
  return start_on(ends, request, std::nullopt, error, /*may_wait=*/!on_worker);
}

ChildLaunch ChildProcess::begin_start(const SpawnRequest& request) {
  auto parts = std::make_unique<ChildLaunch::Parts>();
  // No helper to take now: all is left to finish_start, descriptors included
  // (a worker in a storm has handshakes to do).
  std::optional<SpawnHelpers::Lease> lease = spawn_helpers().try_lease_now(request);
  if (!lease) return ChildLaunch(std::move(parts));
  parts->begun = true;
  if (!make_child_ends(request, parts->ends, parts->error)) return ChildLaunch(std::move(parts));
  const ChildFds fds = child_fds(request, parts->ends);
  spawn_helpers().send_now(*lease, fds.in, fds.out, fds.err);
  parts->lease.emplace(std::move(*lease));
  return ChildLaunch(std::move(parts));
}

std::optional<StartedChild> ChildProcess::try_finish_start_now(ChildLaunch& launch,
                                                               std::error_code& error) {
  ChildLaunch::Parts& parts = *launch.parts_;
  if (!parts.lease) return std::nullopt;
  StartedProgram program;
  if (!spawn_helpers().read_answer_now(*parts.lease, program, error)) return std::nullopt;
  parts.lease.reset();
  return started_on(parts.ends, program);
}

void ChildProcess::give_up_on_answer(ChildLaunch& launch) {
  ChildLaunch::Parts& parts = *launch.parts_;
  if (parts.lease) spawn_helpers().give_up_on(*parts.lease);
}

StartedChild ChildProcess::finish_start(ChildLaunch launch, const SpawnRequest& request,
                                        std::error_code& error) {
  ChildLaunch::Parts& parts = *launch.parts_;
  if (!parts.begun) return start(request, error);
  if (parts.error) {
    error = parts.error;
    return {};
  }
  return start_on(parts.ends, request, std::move(parts.lease), error);
}

std::unique_ptr<ChildProcess> ChildProcess::adopt(const boost::asio::any_io_executor& executor,
                                                  StartedChild started, std::error_code& error) {
  // May throw bad_alloc: `started` still owns everything then.
  auto child = std::unique_ptr<ChildProcess>(new ChildProcess(executor));
  // The pid goes with its pidfd: from here `child` kills and reaps it if the
  // rest fails, and closes what it registered.
  if (!adopt_descriptor(child->pidfd_, started.pidfd_, error)) return nullptr;
  child->pid_ = std::exchange(started.pid_, -1);
  if (!adopt_descriptor(child->stdin_, started.stdin_, error) ||
      !adopt_descriptor(child->stdout_, started.stdout_, error) ||
      !adopt_descriptor(child->stderr_, started.stderr_, error)) {
    return nullptr;
  }
  return child;
}

std::unique_ptr<ChildProcess> ChildProcess::adopt(const boost::asio::any_io_executor& executor,
                                                  StartedChild started) {
  std::error_code error;
  auto child = adopt(executor, std::move(started), error);
  if (!child) throw std::system_error(error, "adopting a started child");
  return child;
}

std::unique_ptr<ChildProcess> ChildProcess::spawn(const boost::asio::any_io_executor& executor,
                                                  const SpawnRequest& request,
                                                  std::error_code& error) {
  StartedChild started = start(request, error, /*on_worker=*/true);
  if (!started) return nullptr;
  return adopt(executor, std::move(started), error);
}

ChildProcess::ChildProcess(const boost::asio::any_io_executor& executor)
    : pidfd_(executor), stdin_(executor), stdout_(executor), stderr_(executor) {}

ChildProcess::~ChildProcess() {
  kill_and_reap_in_background();
}

void ChildProcess::kill_and_reap_in_background() {
  if (reaped_ || pid_ <= 0) return;
  signal_group(SIGKILL);
  reaped_ = true;  // from here the reaper's: signalling the group could hit a reused pid
  reap_in_background(pid_, OwnedFd(pidfd_.release()));
}

void ChildProcess::close_stdin() {
  boost::system::error_code ignored;  // closing twice, or a pipe already broken, is fine
  stdin_.close(ignored);
}

void ChildProcess::signal_group(int signal) {
  if (reaped_) return;
  ::kill(-pid_, signal);  // ESRCH: the group is already gone, which is the goal
}

void ChildProcess::release_after_exit() {
  signal_group(SIGKILL);
  boost::system::error_code ignored;  // closing cancels the waits on them, which is the intent
  stdout_.close(ignored);
  stderr_.close(ignored);
  close_stdin();
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

std::optional<ProgramExit> ChildProcess::peek_exit() const {
  if (reaped_ || pid_ <= 0) return std::nullopt;
  siginfo_t info{};
  int got;
  do {
    got = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (got < 0 && errno == EINTR);
  if (got < 0 || info.si_pid != pid_) return std::nullopt;  // still running (or not ours)
  if (info.si_code == CLD_EXITED) return ProgramExit::exited(info.si_status);
  if (info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
    return ProgramExit::signaled(info.si_status);
  }
  return std::nullopt;
}

}  // namespace wsexec
