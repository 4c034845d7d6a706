#include "http/served_directory.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "core/config.hpp"

namespace wsexec {

std::string real_path_of(const std::string& path) {
  char* resolved = ::realpath(path.c_str(), nullptr);
  if (resolved == nullptr) return {};
  std::string result(resolved);
  std::free(resolved);
  return result;
}

ServedDirectory::ServedDirectory(const std::string& option, const std::string& path)
    : root_(real_path_of(path)) {
  struct stat info {};
  if (root_.empty() || ::stat(root_.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw ConfigError("--" + option + "=" + path + " is not a directory", 1);
  }
  if (::access(root_.c_str(), R_OK | X_OK) != 0) {
    throw ConfigError("--" + option + "=" + path + " cannot be read", 1);
  }
}

bool ServedDirectory::contains(const std::string& real_path) const {
  if (real_path == root_) return true;
  const std::string prefix = root_ == "/" ? root_ : root_ + "/";
  return real_path.compare(0, prefix.size(), prefix) == 0;
}

std::string ServedDirectory::absolute(const std::string& relative_path) const {
  return relative_path.empty() ? root_ : real_path_of(root_ + "/" + relative_path);
}

EntryLookup ServedDirectory::lookup() const {
  return [this](const std::string& relative_path) {
    const std::string resolved = absolute(relative_path);
    if (resolved.empty()) return EntryKind::missing;
    if (!contains(resolved)) return EntryKind::escapes_root;
    struct stat info {};
    if (::stat(resolved.c_str(), &info) != 0) return EntryKind::missing;
    if (S_ISDIR(info.st_mode)) return EntryKind::directory;
    if (!S_ISREG(info.st_mode)) return EntryKind::other;
    return ::access(resolved.c_str(), X_OK) == 0 ? EntryKind::executable_file
                                                 : EntryKind::regular_file;
  };
}

}  // namespace wsexec
