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
// every core. A worker hands a request to a free helper itself and reads
// the answer on its own event loop (spawner.hpp); a spawner thread serves
// the requests that found none free.
//
// A helper that dies or stops answering is noticed at the next spawn it is
// asked for: it is killed, reaped, logged, replaced, and the spawn is
// retried once on the new one, after any child the dead one had started
// (ours, CLONE_PARENT, but its pid never reached us) is found among our
// children by its stdin, killed and reaped. If the new one fails too, the
// server logs it and spawns directly from then on: slower in a large
// server, but working.
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "process/claim_flag.hpp"
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
  // helpers that died and were replaced; it may run on any spawner or
  // worker thread.
  bool start(std::size_t count, const std::string& executable, Report report,
             std::error_code& error);
  bool running() const { return running_.load(std::memory_order_acquire); }

  // start_program's contract (program_start.hpp) for `request`, through a
  // helper: the child's pid and pidfd, or the failure (exec's errno
  // included) with any failed child reaped. nullopt when no helper runs
  // (never started, or stopped): the caller then starts it directly.
  // `may_wait` false (a worker, which may hold a helper's lease itself
  // while its answer waits in its event loop): nullopt when no helper is
  // free now, rather than waiting for one.
  std::optional<StartedProgram> try_start(const SpawnRequest& request, int stdin_fd, int stdout_fd,
                                          int stderr_fd, std::error_code& error,
                                          bool may_wait = true);

  // try_start in halves, for a worker, which must not wait. try_lease_now
  // takes a helper, only while every helper is free (no other spawn under
  // way), else nullopt, as when no helper runs. send_now hands it the
  // request with the child's descriptors and returns without its answer:
  // the helper clones as soon as it reads the request, so the child's exec
  // starts while the worker goes on (docs/performance.md, "The spawn asked
  // for and answered on the worker"). The lease holds the helper until its
  // answer is read; one dropped unread retires the helper, whose answer
  // would otherwise reach the next request. A helper found dead on the way
  // is retired and the lease says nothing was sent (socket() is -1):
  // finish() then starts a new helper and asks it.
  class Lease;
  std::optional<Lease> try_lease_now(const SpawnRequest& request);
  void send_now(Lease& lease, int stdin_fd, int stdout_fd, int stderr_fd);
  // Once lease.socket() is readable: reads the answer without waiting for
  // more. True when it did: try_start's result is in `started` and `error`
  // (exec's errno included), and the helper is free again. False when the
  // helper answered nothing usable (it died): the helper is replaced, and
  // finish() must run where waiting is allowed.
  bool read_answer_now(Lease& lease, StartedProgram& started, std::error_code& error);
  // The helper did not answer in time (limits::kSpawnHelperAnswerTimeout):
  // it is killed and replaced, and finish() asks the replacement.
  void give_up_on(Lease& lease);
  // try_start's contract for the request `lease` carries, on a thread that
  // may wait: the answer to come, or the request again on a replacement
  // helper. The same descriptors are passed again, for that retry.
  std::optional<StartedProgram> finish(Lease lease, int stdin_fd, int stdout_fd, int stderr_fd,
                                       std::error_code& error);

  // Ends the helpers and reaps them; later spawns go direct.
  void stop();

  // The helpers' pids, for tests and logs.
  std::vector<pid_t> pids();

 private:
  struct Helper {
    // One request at a time per helper. Not a mutex: a lease taken on a
    // worker is given back on a spawner thread.
    ClaimFlag free;
    OwnedFd socket;
    pid_t pid = -1;
  };

 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          helper_(other.helper_),
          message_(std::move(other.message_)),
          sent_(other.sent_),
          answer_lost_(other.answer_lost_) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    // The helper's socket, readable once its answer has come; -1 when the
    // request was not sent (finish() sends it).
    int socket() const { return sent_ ? helper_->socket.get() : -1; }

   private:
    friend class SpawnHelpers;
    Lease(SpawnHelpers& owner, Helper& helper, std::string message)
        : owner_(&owner), helper_(&helper), message_(std::move(message)) {}
    SpawnHelpers* owner_;  // null once finished or moved from
    Helper* helper_;
    std::string message_;  // the encoded request, for a retry
    bool sent_ = true;     // false once the helper it went to was replaced
    // The helper it went to died or was given up on before answering: it
    // may have started the child (finish() ends it before asking again).
    bool answer_lost_ = false;
  };

 private:
  Helper& pick();
  Helper* pick_free_now();
  // One of them, taken, if every helper is free; else none is taken.
  Helper* pick_if_all_free();
  // try_start's loop on a helper this thread holds; gives it back. `sent`:
  // the first attempt's request is already in the helper's socket.
  std::optional<StartedProgram> serve_on(Helper& helper, const std::string& message,
                                         const std::vector<int>& fds, bool sent,
                                         std::error_code& error);
  bool launch(Helper& helper, std::error_code& error);
  void retire(Helper& helper, bool stuck, const std::string& why);
  bool exchange(Helper& helper, const std::string& request, const std::vector<int>& fds, bool sent,
                StartedProgram& started, std::error_code& error);
  bool receive_answer(Helper& helper, StartedProgram& started, std::error_code& error);

  std::string executable_;
  Report report_;
  std::vector<std::unique_ptr<Helper>> helpers_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> running_{false};
};

// The server's one set of helpers.
SpawnHelpers& spawn_helpers();

}  // namespace wsexec
