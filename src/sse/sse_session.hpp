#pragma once
// The program side of one SSE session: the child (started through the
// spawner, ended by the termination ladder), its output turned into events
// in the outbox, and the client's POSTed messages queued to its stdin. It
// outlives any one event stream: streams attach to it (the first GET, a
// resume) and detach; with --resumems it waits that long for a new one.
//
// Lives on the worker that opened it; every member but outbox(),
// executor() and token() runs there. Other threads reach it through
// SseSessionRef and post to executor().
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "process/output_pump.hpp"
#include "process/spawn_request.hpp"
#include "process/stdin_feeder.hpp"
#include "server/fork_slot.hpp"
#include "server/metrics.hpp"
#include "server/server_state.hpp"
#include "server/worker.hpp"
#include "sse/sse_outbox.hpp"
#include "sse/sse_shared_client.hpp"
#include "websocket/session_timer.hpp"

namespace wsexec {

class ChildSupervisor;
class PendingChild;

struct SseSessionStart {
  SpawnRequest spawn;
  std::string log_context;             // url, id, remote, command, origin
  std::string post_url_without_token;  // the request's target: the POST URL is made from it
  // --shared: the program to join instead of `spawn` (sse/sse_shared_client).
  std::optional<SseSharedJoin> shared;
  const char* transport = "sse";  // the log's transport: of the stream that opened it
};

class SseSession : public std::enable_shared_from_this<SseSession>,
                   public Stoppable,
                   private OutputSink {
 public:
  // On the worker's thread; `executor` is that worker's. The session
  // registers itself once its program runs. `slot` is empty only for a
  // client of a shared program (the program holds its own).
  static std::shared_ptr<SseSession> start(SseSessionStart start, std::optional<ForkSlot> slot,
                                           ServerState& state, Worker& worker,
                                           const boost::asio::any_io_executor& executor);

  SseSession(SseSessionStart start, std::optional<ForkSlot> slot, ServerState& state,
             Worker& worker, const boost::asio::any_io_executor& executor);
  ~SseSession();

  // Any thread.
  SseOutbox& outbox() { return outbox_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  const std::string& token() const { return token_; }
  const std::string& log_context() const { return context_; }

  // One client message; returns the HTTP status for its POST (204, 404,
  // 415, 429).
  unsigned deliver(const std::string& message, bool binary);
  // The attached stream went away.
  void stream_lost();
  // Server shutdown: close 1001, then end the child.
  void stop() override;

  // --shared, from SseSharedClient on this session's thread: the program
  // runs (the session is announced); the session ends with this close
  // (the program's, or 1008 for a client too far behind); output was
  // published, which may overflow --resumebuffer while detached.
  void shared_program_running(pid_t pid);
  void end_with(unsigned code, const std::string& reason);
  void end_if_buffer_overflows();
  // WebSocket streams (subprotocol wsexec.v1; sse_session_ws_input.cpp).
  // A client message, queued at once or, while the program's input is
  // full, once it has room: `done` gets deliver()'s status, never 429 (the
  // client is not read meanwhile). A `done` still waiting when a newer
  // stream delivers is dropped uncalled (its stream is gone).
  void deliver_when_room(std::string message, bool binary, std::function<void(unsigned)> done);
  // The client closed the WebSocket normally (1000): it will not come
  // back, so --resumems does not apply.
  void client_closed();

 private:
  void spawn_child(SpawnRequest spawn);
  void adopt_child(PendingChild& answer);
  void on_output(OutputPump& pump) override;
  void on_output_end(OutputPump& pump) override;
  std::shared_ptr<void> keep_alive() override { return shared_from_this(); }
  bool publish_pieces(OutputPump& pump, bool at_end);
  void resume_pump_when_room(OutputPump& pump);
  void announce();
  void start_session_timer();
  void note_activity();
  void close_for_timeout(SessionTimeout timeout);
  void client_gone(const char* why);
  void release_pipes_if_done();
  void begin_termination();
  void on_child_exited();
  void close_once_exited();
  void finish(unsigned code, const std::string& reason);

  ServerState& state_;
  boost::asio::any_io_executor executor_;
  WorkerRegistration registration_;
  metrics::SessionMeter meter_{SessionKind::websocket};
  const std::string token_;
  std::string context_;
  std::string post_url_;
  std::optional<ForkSlot> slot_;  // handed to the supervisor once the child runs
  std::shared_ptr<ChildSupervisor> child_;
  std::shared_ptr<SseSharedClient> shared_;  // --shared: instead of child_
  // --idlems, --lifetimems, as for a WebSocket session: the timer, and the
  // limit that ended the session (for DISCONNECT's reason).
  std::shared_ptr<SessionTimer> session_timer_;
  SessionTimeout timed_out_ = SessionTimeout::none;
  std::optional<StdinFeeder> stdin_feeder_;
  std::optional<OutputPump> stdout_pump_;
  std::optional<OutputPump> stderr_pump_;
  OutputPump* paused_pump_ = nullptr;  // waiting for the stream to take what it has
  SseOutbox outbox_;
  boost::asio::steady_timer resume_timer_;
  std::uint64_t streams_lost_ = 0;  // tells a stale resume timer from the current one

  bool binary_ = false;      // --binary or --pty: stdout as binary events
  bool connected_ = false;   // the program runs: CONNECT was logged
  bool client_open_ = true;  // a stream is attached, or may still come back
  bool finished_ = false;    // the close event is published
  bool pipes_released_ = false;
  bool close_after_exit_ = false;
  bool stopping_ = false;
};

}  // namespace wsexec
