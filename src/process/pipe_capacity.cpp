#include "process/pipe_capacity.hpp"

#include <fcntl.h>

namespace wsexec {

bool grow_pipe(int fd, std::size_t bytes) noexcept {
  return ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(bytes)) >= 0;
}

}  // namespace wsexec
