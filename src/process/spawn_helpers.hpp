#pragma once
// Spawning from small processes. A child's start costs in proportion to the
// descriptors its starter holds: clone copies the descriptor table (a
// reference taken on every open file) and close_range then drops every one
// again. A server with 1,000 connections holds 5,000, and spawned at 520/s
// where an idle one spawned at 800/s (docs/performance.md, issue 16).
//
// So the server starts a few helpers once, as copies of itself (exec of
// /proc/self/exe, so they share no memory, lock or thread with the server
// and hold nothing but their socket), and each spawn goes to one of them
// with the child's three descriptors (SCM_RIGHTS). A helper starts the
// child with CLONE_PARENT: the child is the server's, reaped, signalled and
// watched through its pidfd exactly as before, and exec's errno comes back
// as it did. One helper per spawner thread, so a storm still spawns on
// every core.
//
// A helper that dies or stops answering is noticed at the next spawn it is
// asked for: it is killed, reaped, logged, replaced, and the spawn is
// retried once on the new one. If the new one fails too, the server logs it
// and spawns directly from then on: slower in a large server, but working. Known gap: a helper
// killed between starting a child and answering leaves that child unowned (its pid never reaches
// the server), a zombie until the server exits.
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "process/owned_fd.hpp"
#include "process/program_start.hpp"
#include "process/spawn_request.hpp"

namespace wsexec {

class SpawnHelpers {
 public:
  using Report = std::function<void(const std::string& message)>;

  SpawnHelpers() = default;
  ~SpawnHelpers() { stop(); }
  SpawnHelpers(const SpawnHelpers&) = delete;
  SpawnHelpers& operator=(const SpawnHelpers&) = delete;

  // Starts `count` helpers from `executable` (wsexec itself). Call once
  // the server's privileges are final: the helpers, and so every child,
  // keep the credentials they start with. False, with `error`, if one could
  // not start; then none runs and spawns stay direct. `report` hears of
  // helpers that died and were replaced; it may run on any spawner thread.
  bool start(std::size_t count, const std::string& executable, Report report,
             std::error_code& error);
  bool running() const { return running_.load(std::memory_order_acquire); }

  // start_program's contract (program_start.hpp) for `request`, through a
  // helper: the child's pid and pidfd, or the failure (exec's errno
  // included) with any failed child reaped. nullopt when no helper runs
  // (never started, or stopped): the caller then starts it directly.
  std::optional<StartedProgram> try_start(const SpawnRequest& request, int stdin_fd, int stdout_fd,
                                          int stderr_fd, std::error_code& error);

  // Ends the helpers and reaps them; later spawns go direct.
  void stop();

  // The helpers' pids, for tests and logs.
  std::vector<pid_t> pids();

 private:
  struct Helper {
    std::mutex mutex;  // one request at a time per helper
    OwnedFd socket;
    pid_t pid = -1;
  };

  Helper& pick();
  bool launch(Helper& helper, std::error_code& error);
  void retire(Helper& helper, bool stuck, const std::string& why);
  bool exchange(Helper& helper, const std::string& request, const std::vector<int>& fds,
                StartedProgram& started, std::error_code& error);

  std::string executable_;
  Report report_;
  std::vector<std::unique_ptr<Helper>> helpers_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> running_{false};
};

// The server's one set of helpers.
SpawnHelpers& spawn_helpers();

}  // namespace wsexec
