#pragma once
// One numeric field of /proc/PID/status ("VmRSS", "voluntary_ctxt_switches"),
// for the component and the integration tests alike: header-only, so that
// neither suite links the other's support code.
#include <sys/types.h>

#include <fstream>
#include <string>
#include <string_view>

namespace wsexec_test {

// The field's value (its first number: "VmRSS:  1234 kB" gives 1234), -1 if
// the process or the field is not there.
inline long proc_status_number(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  const std::string key = std::string(field) + ":";
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  }
  return -1;
}

}  // namespace wsexec_test
