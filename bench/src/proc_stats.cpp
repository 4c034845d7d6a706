#include <dirent.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>

#include "common.hpp"

namespace bench {
namespace {

// The number after "Key:" in a /proc file of "Key: value kB" lines.
long field_kib(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      std::istringstream fields(line.substr(key.size()));
      long value = -1;
      fields >> value;
      return value;
    }
  }
  return -1;
}

// wsexec's spawn helpers (docs/architecture.md, "Spawn helpers") are
// children of the server that live as long as it does and run no program for
// a client: counting them would add two "programs" to every hold and their
// PSS to the per-child figure.
bool is_spawn_helper(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string argument;
  while (std::getline(in, argument, '\0')) {
    if (argument == "--internal-spawn-helper") return true;
  }
  return false;
}

}  // namespace

long rss_kib(pid_t pid) {
  return field_kib("/proc/" + std::to_string(pid) + "/status", "VmRSS:");
}

long fd_count(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return -1;
  long count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

std::vector<pid_t> child_pids(pid_t pid) {
  std::vector<pid_t> children;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) return children;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::ifstream in(tasks + "/" + entry->d_name + "/children");
    pid_t child;
    while (in >> child) {
      if (!is_spawn_helper(child)) children.push_back(child);
    }
  }
  ::closedir(dir);
  return children;
}

long pss_kib(pid_t pid) {
  return field_kib("/proc/" + std::to_string(pid) + "/smaps_rollup", "Pss:");
}

ProcessSample sample_process(pid_t pid, bool with_children) {
  ProcessSample sample;
  sample.rss_kib = rss_kib(pid);
  sample.fds = fd_count(pid);
  if (with_children) {
    for (pid_t child : child_pids(pid)) {
      const long pss = pss_kib(child);
      if (pss < 0) continue;  // gone meanwhile
      ++sample.children;
      sample.children_pss_kib += pss;
    }
  }
  return sample;
}

long raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<long>(limit.rlim_cur);
}

}  // namespace bench
