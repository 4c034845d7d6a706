#include "temp_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace wsexec_test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/wsexec-test-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (!mkdtemp(buffer.data())) {
    throw std::runtime_error("mkdtemp(" + pattern + "): " + std::strerror(errno));
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ignored;  // a destructor must not throw; leftovers are harmless in /tmp
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::file(std::string_view name) const {
  return path_ + "/" + std::string(name);
}

std::string TempDir::write_file(std::string_view name, std::string_view content, unsigned mode) {
  const std::string target = file(name);
  // Written with plain POSIX calls and closed before returning: an
  // executable still open for writing cannot be exec'd (ETXTBSY).
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("open(" + target + "): " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      throw std::runtime_error("write(" + target + "): " + std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  // open() applies the umask; the tests need the exact mode (e.g. 0755).
  if (::chmod(target.c_str(), mode) != 0) {
    throw std::runtime_error("chmod(" + target + "): " + std::strerror(errno));
  }
  return target;
}

std::string TempDir::write_script(std::string_view name, std::string_view body) {
  return write_file(name, "#!/bin/bash\n" + std::string(body), 0755);
}

}  // namespace wsexec_test
