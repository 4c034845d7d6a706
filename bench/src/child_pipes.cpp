#include "child_pipes.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "process/program_start.hpp"

namespace bench {

Child spawn_child(const std::string& command) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  }
  const std::string path = "PATH=/usr/local/bin:/usr/bin:/bin";
  char* argv[] = {const_cast<char*>(command.c_str()), nullptr};
  char* envp[] = {const_cast<char*>(path.c_str()), nullptr};
  std::error_code error;
  const wsexec::StartedProgram program =
      wsexec::start_program(command.c_str(), argv, envp, in[0], out[1], err[1], error);
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
