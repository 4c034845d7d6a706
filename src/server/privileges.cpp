#include "server/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "server/log.hpp"
#include "server/startup_error.hpp"

namespace wsexec {
namespace {

[[noreturn]] void cannot_switch(const RunAs& run_as, const char* step, int error) {
  throw StartupError("can't switch to --user " + run_as.user + ": " + step + ": " +
                     std::strerror(error));
}

}  // namespace

std::optional<RunAs> resolve_run_as(const Config& config) {
  if (config.run_as_user.empty()) return std::nullopt;
  errno = 0;
  const passwd* user = ::getpwnam(config.run_as_user.c_str());
  if (user == nullptr) {
    throw StartupError("--user " + config.run_as_user + ": " +
                       (errno != 0 ? std::strerror(errno) : "no such user"));
  }
  RunAs run_as{config.run_as_user, user->pw_uid, user->pw_gid};
  if (!config.run_as_group.empty()) {
    errno = 0;
    const group* named = ::getgrnam(config.run_as_group.c_str());
    if (named == nullptr) {
      throw StartupError("--group " + config.run_as_group + ": " +
                         (errno != 0 ? std::strerror(errno) : "no such group"));
    }
    run_as.gid = named->gr_gid;
  }
  return run_as;
}

void drop_privileges(const RunAs& run_as) {
  // The order matters: once the uid is not 0, the groups can no longer be
  // changed. initgroups adds the --group too, so it stays in the list.
  if (::initgroups(run_as.user.c_str(), run_as.gid) != 0) {
    cannot_switch(run_as, "initgroups", errno);
  }
  if (::setgid(run_as.gid) != 0) cannot_switch(run_as, "setgid", errno);
  // glibc applies setuid to every thread of the process (the spawner's
  // threads already run), so no thread keeps root.
  if (::setuid(run_as.uid) != 0) cannot_switch(run_as, "setuid", errno);
  if (run_as.uid != 0 && ::setuid(0) == 0) {
    throw StartupError("can't switch to --user " + run_as.user +
                       ": root could be regained after setuid; refusing to run");
  }
  // The kernel now marks the process non-dumpable, and it stays so: the
  // programs run as the same user, and a dumpable server could be ptraced
  // by them, TLS private key and all. (/proc/self/fd becomes root's.)
  log::info("server", "Running as user " + run_as.user + " (uid " + std::to_string(run_as.uid) +
                          ", gid " + std::to_string(run_as.gid) + "); programs run as it too");
}

void warn_if_programs_run_as_root(const std::optional<RunAs>& run_as) {
  if (run_as || ::geteuid() != 0) return;
  log::info("server",
            "Running as root: every program runs as root too (--user=NAME runs them as another "
            "user)");
}

}  // namespace wsexec
