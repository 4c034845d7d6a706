#include "child_pipes.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "boost_process_spawn.hpp"
#include "process/program_start.hpp"
#include "process/spawn_helpers.hpp"

namespace bench {

Launcher parse_launcher(const std::string& name) {
  if (name == "direct") return Launcher::direct;
  if (name == "helper") return Launcher::helper;
  if (name == "boost") return Launcher::boost_process;
  throw std::invalid_argument("--launcher: direct, helper or boost, not " + name);
}

namespace {

wsexec::StartedProgram launch(Launcher launcher, const std::string& command, char* const argv[],
                              char* const envp[], int in, int out, int err,
                              std::error_code& error) {
  switch (launcher) {
    case Launcher::helper: {
      wsexec::SpawnRequest request;
      request.executable = command;
      for (char* const* arg = argv; *arg != nullptr; ++arg) request.argv.emplace_back(*arg);
      for (char* const* var = envp; *var != nullptr; ++var) request.environment.emplace_back(*var);
      auto started = wsexec::spawn_helpers().try_start(request, in, out, err, error);
      if (!started) throw std::runtime_error("--launcher helper: no spawn helper runs");
      return *started;
    }
    case Launcher::boost_process:
      return start_with_boost_process(command.c_str(), argv, envp, in, out, err, error);
    case Launcher::direct:
      break;
  }
  return wsexec::start_program(command.c_str(), argv, envp, in, out, err, error);
}

}  // namespace

Child spawn_child(const std::string& command, Launcher launcher) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  const std::string path = "PATH=/usr/local/bin:/usr/bin:/bin";
  char* argv[] = {const_cast<char*>(command.c_str()), nullptr};
  char* envp[] = {const_cast<char*>(path.c_str()), nullptr};
  std::error_code error;
  const wsexec::StartedProgram program =
      launch(launcher, command, argv, envp, in[0], out[1], err[1], error);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (program.pid < 0) {
    ::close(in[1]);
    ::close(out[0]);
    ::close(err[0]);
    throw std::runtime_error("cannot start " + command + ": " + error.message());
  }
  ::close(program.pidfd);  // waitpid is enough here
  Child child;
  child.pid = program.pid;
  child.in = in[1];
  child.out = out[0];
  child.err = err[0];
  return child;
}

void write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("write: ") + std::strerror(errno));
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

int reap(Child& child) {
  if (child.in >= 0) ::close(child.in);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  ::close(child.out);
  ::close(child.err);
  return status;
}

}  // namespace bench
