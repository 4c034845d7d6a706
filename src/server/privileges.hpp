#pragma once
// --user and --group: who the server becomes once everything that needs
// root is done (binding, the Unix socket, reading TLS keys), and so who its
// programs run as. Also the one start-up notice for a server left as root.
#include <sys/types.h>

#include <optional>
#include <string>

#include "core/config.hpp"

namespace wsexec {

struct RunAs {
  std::string user;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Looks up --user and --group (default: the user's primary group); nullopt
// without --user. Throws StartupError naming the user or group that does
// not exist. Call before any thread is started (getpwnam is not reentrant).
std::optional<RunAs> resolve_run_as(const Config& config);

// Sets the supplementary groups (the user's, as a login would), then the
// group, then the user, for good: afterwards setuid(0) must fail, or this
// throws. Throws StartupError with the reason (not root: EPERM).
void drop_privileges(const RunAs& run_as);

// Logs once, at start-up, that the programs will run as root when the
// server runs as root and no --user was given.
void warn_if_programs_run_as_root(const std::optional<RunAs>& run_as);

}  // namespace wsexec
