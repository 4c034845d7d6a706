#pragma once
// The spawn helper's side: the whole life of a helper process. wsexec
// starts its helpers as itself with this flag (spawn_helpers.hpp), and
// main() hands over to run_spawn_helper before it does anything else.
namespace wsexec {

inline constexpr const char* kSpawnHelperFlag = "--internal-spawn-helper";

// Serves spawn requests arriving on `socket` (a Unix stream socket) one at
// a time until the server closes it: each child is started with
// start_program_for_parent, so it is the server's child, and its pid (and
// pidfd, or exec's errno) goes back. Returns the process's exit status: 0
// when the server hung up, non-zero when the socket or a request was
// broken (the server then starts a new helper).
int run_spawn_helper(int socket);

}  // namespace wsexec
