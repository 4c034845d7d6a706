#include "server/config_file_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/config.hpp"
#include "core/limits.hpp"
#include "process/owned_fd.hpp"

namespace wsexec {
namespace {

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
  throw ConfigError("cannot read the configuration file " + path + ": " + why, 1);
}

}  // namespace

std::string read_config_file(const std::string& path) {
  const OwnedFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) refuse(path, std::strerror(errno));
  std::string text;
  std::array<char, 8192> buffer;
  while (true) {
    const ssize_t got = ::read(file.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    // A directory opens, and fails here with EISDIR.
    if (got < 0) refuse(path, std::strerror(errno));
    if (got == 0) return text;
    text.append(buffer.data(), static_cast<std::size_t>(got));
    if (text.size() > limits::kMaxConfigFileBytes) {
      refuse(path, "it is larger than " + std::to_string(limits::kMaxConfigFileBytes >> 20) +
                       " MiB, which no configuration file needs");
    }
  }
}

}  // namespace wsexec
