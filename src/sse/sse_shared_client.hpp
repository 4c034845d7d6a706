#pragma once
// An SSE session as one more client of a shared program (--sse with
// --shared): the program's output goes into the session's outbox as
// events, each POST into the program's fair input, and the addressed
// mode's open/message/close events carry the client's id, remote, url and
// origin as for a WebSocket client. The program cannot tell the two apart.
//
// Owned by its SseSession, on the session's thread; the program holds it
// weakly, as it holds every client. It holds its session weakly too: a
// call posted by the program may arrive after the session is gone.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "process/spawn_request.hpp"
#include "shared/shared_client.hpp"
#include "shared/shared_program.hpp"

namespace wsexec {

class SseSession;
class Worker;
struct PeerInfo;
struct ScriptTarget;
struct ServerState;

// Which program to join, and how this client introduces itself to it.
struct SseSharedJoin {
  std::string key;         // the registry's: one program per endpoint
  SpawnRequest launch;     // used only when this client starts the program
  std::string id;          // the connection id, as in the log and the addressed events
  std::string open_event;  // addressed mode: the program's "open" line; empty otherwise
};

// The request's facts -> the join; `url` and `origin` as a WebSocket
// client's open event has them.
SseSharedJoin sse_shared_join(const ScriptTarget& target, const PeerInfo& peer,
                              const ServerState& state, const std::string& id,
                              const std::string& url, const std::string& origin);

class SseSharedClient : public SharedClient, public std::enable_shared_from_this<SseSharedClient> {
 public:
  // On the session's thread: joins (or starts) the program. A program that
  // cannot start for want of a --maxforks slot closes the session (1013).
  static std::shared_ptr<SseSharedClient> join(const std::shared_ptr<SseSession>& session,
                                               SseSharedJoin join, ServerState& state,
                                               Worker& worker);

  SseSharedClient(std::weak_ptr<SseSession> session, std::string id, ServerState& state);
  ~SseSharedClient();

  // A POST's body; returns its HTTP status (204, 404, 415, 429).
  unsigned send(const std::string& message, bool binary);
  // The client will not come back (or the server stops): the program hears
  // "close" with 1006, what it hears of a WebSocket client that vanished,
  // since an event stream ends without a close code.
  void leave();

  // SharedClient, on the session's thread.
  void program_running(pid_t pid) override;
  void deliver(SharedOutputPtr output) override;
  void input_written(std::size_t bytes) override;
  void closed_by_program(std::uint16_t code, std::string reason) override;

 private:
  bool attached_and_too_far_behind(SseSession& session, std::size_t adding) const;
  void fell_behind(SseSession& session);

  std::weak_ptr<SseSession> session_;
  std::string id_;
  std::uint64_t numeric_id_;
  ServerState& state_;
  SharedProgramRef program_;
  std::size_t input_waiting_ = 0;  // our bytes not yet in the program's stdin
  bool left_ = false;              // the program forgot us, or we it
};

}  // namespace wsexec
