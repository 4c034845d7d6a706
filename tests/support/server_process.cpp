#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>

#include "test_helpers.hpp"

extern char** environ;

namespace wsexec_test {

using Clock = std::chrono::steady_clock;

namespace {

// How long a server gets to honour SIGTERM before it is killed. Longer than
// the termination ladder (850 ms) so that a healthy server exits by itself.
constexpr Millis kStopGrace = 3000ms;

ExitStatus decode(int wait_status) {
  ExitStatus status;
  if (WIFEXITED(wait_status)) {
    status.exited = true;
    status.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  }
  return status;
}

std::vector<std::string> build_environment(const std::vector<ServerOptions::EnvVar>& changes) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry; ++entry) {
    std::string text = *entry;
    auto equals = text.find('=');
    if (equals != std::string::npos) variables[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& change : changes) {
    if (change.unset) {
      variables.erase(change.name);
    } else {
      variables[change.name] = change.value;
    }
  }
  std::vector<std::string> result;
  for (const auto& [name, value] : variables) result.push_back(name + "=" + value);
  return result;
}

int open_output(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("open(" + path + "): " + std::strerror(errno));
  return fd;
}

}  // namespace

std::string binary_under_test() {
  const char* override_binary = std::getenv("WSEXEC_TEST_BINARY");
  if (override_binary && *override_binary) return override_binary;
  return WSEXEC_BINARY;
}

std::string describe(const ExitStatus& status) {
  if (status.exited) return "exit code " + std::to_string(status.code);
  return "killed by signal " + std::to_string(status.signal) + " (" +
         std::string(strsignal(status.signal)) + ")";
}

ServerProcess::ServerProcess(std::vector<std::string> args) {
  ServerOptions options;
  options.args = std::move(args);
  start(std::move(options));
}

ServerProcess::ServerProcess(ServerOptions options) {
  start(std::move(options));
}

ServerProcess::~ServerProcess() {
  stop();
}

void ServerProcess::start(ServerOptions options) {
  port_ = options.port != 0 ? options.port : free_port();
  argv_.push_back(options.program.empty() ? binary_under_test() : options.program);
  if (options.add_listen_args) {
    argv_.push_back("--port=" + std::to_string(port_));
    argv_.push_back("--address=127.0.0.1");
  }
  argv_.insert(argv_.end(), options.args.begin(), options.args.end());

  // Everything the child needs is prepared before fork(): between fork and
  // exec only async-signal-safe calls are allowed.
  std::vector<std::string> environment = build_environment(options.env);
  std::vector<char*> argv_pointers;
  for (auto& arg : argv_) argv_pointers.push_back(arg.data());
  argv_pointers.push_back(nullptr);
  std::vector<char*> env_pointers;
  for (auto& variable : environment) env_pointers.push_back(variable.data());
  env_pointers.push_back(nullptr);
  int out_fd = open_output(output_dir_.file("stdout.log"));
  int err_fd = open_output(output_dir_.file("stderr.log"));
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    // The server must start as from a shell: no descriptor of the test
    // (sockets, files) and default signal handling (the test ignores
    // SIGPIPE, and an ignored signal would be inherited through exec).
    ::close_range(3, ~0U, 0);
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    ::execve(argv_pointers[0], argv_pointers.data(), env_pointers.data());
    _exit(127);
  }
  int fork_errno = errno;
  ::close(out_fd);
  ::close(err_fd);
  ::close(null_fd);
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(fork_errno));

  if (!options.wait_until_listening) return;
  const auto deadline = Clock::now() + options.startup_timeout;
  while (!process_listens_on(pid_, port_)) {
    if (!running() || Clock::now() >= deadline) {
      std::string why = running() ? "did not listen on port " + std::to_string(port_) +
                                        " in time; " + listening_report(pid_, port_)
                                  : "exited early with " + describe(*exit_status_);
      std::string details = diagnostics();
      stop();  // the destructor will not run after a throwing constructor
      throw std::runtime_error(argv_[0] + " " + why + "\n" + details);
    }
    std::this_thread::sleep_for(5ms);
  }
}

void ServerProcess::stop() {
  if (pid_ <= 0 || exit_status_) return;
  ::kill(pid_, SIGTERM);
  if (!wait_exit(kStopGrace)) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_status_ = decode(status);
  }
}

std::string ServerProcess::log() const {
  return read_file(output_dir_.file("stdout.log"));
}

std::string ServerProcess::error_output() const {
  return read_file(output_dir_.file("stderr.log"));
}

std::vector<std::string> ServerProcess::log_lines() const {
  std::string text = log();
  // Drop a partial last line: the server may be in the middle of writing it.
  auto last_newline = text.rfind('\n');
  text.resize(last_newline == std::string::npos ? 0 : last_newline + 1);
  return split_lines(text);
}

std::optional<std::string> ServerProcess::wait_for_log_line(
    const std::vector<std::string>& fragments, Millis timeout) const {
  std::optional<std::string> found;
  wait_until(
      [&] {
        for (const std::string& line : log_lines()) {
          bool all = true;
          for (const std::string& fragment : fragments) all = all && contains(line, fragment);
          if (all) {
            found = line;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

bool ServerProcess::running() {
  if (pid_ <= 0 || exit_status_) return false;
  int status = 0;
  pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
  if (reaped == pid_) {
    exit_status_ = decode(status);
    return false;
  }
  return true;
}

void ServerProcess::send_signal(int signal) {
  if (running()) ::kill(pid_, signal);
}

std::optional<ExitStatus> ServerProcess::wait_exit(Millis timeout) {
  wait_until([this] { return !running(); }, timeout, 5ms);
  return exit_status_;
}

std::string ServerProcess::diagnostics() const {
  return "--- server stdout (log) ---\n" + log() + "--- server stderr ---\n" + error_output();
}

RunResult run_to_exit(const std::vector<std::string>& args, Millis timeout) {
  return run_program("", args, timeout);
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      Millis timeout) {
  ServerOptions options;
  options.program = program;
  options.args = args;
  options.add_listen_args = false;
  options.wait_until_listening = false;
  ServerProcess process(std::move(options));
  RunResult result;
  result.status = process.wait_exit(timeout);
  result.out = process.log();
  result.err = process.error_output();
  return result;  // the destructor kills the process if it is still running
}

}  // namespace wsexec_test
