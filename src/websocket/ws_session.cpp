#include "websocket/ws_session.hpp"

#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <exception>
#include <optional>
#include <utility>

#include "core/exit_status.hpp"
#include "core/limits.hpp"
#include "core/session_timeouts.hpp"
#include "process/child_process.hpp"
#include "process/child_supervisor.hpp"
#include "process/feeder_close.hpp"
#include "process/output_pump.hpp"
#include "process/stdin_feeder.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "websocket/client_writer.hpp"
#include "websocket/corkable_stream.hpp"
#include "websocket/ending_write_watch.hpp"
#include "websocket/input_batch.hpp"
#include "websocket/negotiation.hpp"
#include "websocket/output_relay.hpp"
#include "websocket/paused_client_probe.hpp"
#include "websocket/pending_child.hpp"
#include "websocket/remote_host.hpp"
#include "websocket/session_end.hpp"
#include "websocket/session_task.hpp"
#include "websocket/session_timer.hpp"
#include "websocket/terminal_input.hpp"
#include "websocket/websocket_setup.hpp"

namespace wsexec {
// A named namespace, not an anonymous one: OutputRelay (a header template)
// is instantiated with the session, which must then have linkage.
namespace ws_session_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using std::chrono::milliseconds;

std::string header_value(const UpgradeRequest& request, beast::http::field field) {
  return std::string(find_header(request, field).value_or(""));
}

// One WebSocket and one child. The session does the handshake, keeps the
// state of both sides and ends them; the pieces it wires together do the
// rest: PendingChild (the spawn), OutputRelay (the child's output),
// ClientWriter (what goes to the client), StdinFeeder (what comes from it).
template <typename Stream>
class WsSession : public std::enable_shared_from_this<WsSession<Stream>>,
                  public Stoppable,
                  public OutputRelay<WsSession<Stream>> {
  friend class OutputRelay<WsSession<Stream>>;
  friend class wsexec::EndingWriteWatch;
  friend class wsexec::PausedClientProbe;

 public:
  WsSession(Stream stream, PeerInfo peer, ScriptTarget target, ForkSlot slot, ServerState& state,
            Worker& worker)
      : ws_(std::move(stream)),
        writer_(ws_, client_, state.config.pass_stderr),
        peer_(std::move(peer)),
        target_(std::move(target)),
        slot_(std::move(slot)),
        state_(state),
        worker_(worker),
        registration_(worker, this),
        id_(state.next_connection_id()) {
    ws_.next_layer().limit_teardown_by(worker.teardown_sweep());
  }

  // The child is reaped by its supervisor, which may outlive us by a moment.
  ~WsSession() {
    if (!connected_) return;
    const auto program_exit = child_ ? child_->program_exit() : std::nullopt;
    log::write(LogLevel::access, "session", disconnect_context(context_, timed_out_, program_exit),
               "DISCONNECT");
  }

  // Everything up to our 101 runs here, in the caller's turn of the event
  // loop (the upgrade request was just parsed): the spawn is asked for and
  // the 101 handed to the kernel before any other handler of this worker
  // runs. A coroutine would start only after a post, behind whatever else
  // the worker had ready (in churn, the previous connection's end: its
  // pipes' EOFs, its exit), and so would the spawn.
  void start(UpgradeRequest request) {
    const std::string* subprotocol = chosen_subprotocol(request, state_.config);
    // The child is started first, before our 101 goes out, so its start-up
    // (exec, the dynamic loader) overlaps the client's round trip instead
    // of following it. Only a reverse lookup of the client (REMOTE_HOST)
    // has to come before it.
    const bool reverse_lookup = state_.config.reverse_lookup;
    if (!reverse_lookup && !stopping_) {
      pending_ = start_child(request, peer_.remote_address, subprotocol);
    }
    configure_websocket(ws_, state_, subprotocol);
    ws_.set_option(deflate_settings(request, state_.config));
    watch_client_close_frames(ws_, context_, [this] {
      client_.close_received = true;
      EndingWriteWatch::start(this->shared_from_this());  // Beast's reply waits for our writes
      on_close_frame();
    });
    if (reverse_lookup) {
      note_log_context(request);
      return spawn_task([request = std::move(request), subprotocol](WsSession& self) mutable {
        return self.look_up_then_handshake(std::move(request), subprotocol);
      });
    }
    handshake(request);
    // Nothing is logged with it before the handshake ends: made once the
    // spawn and the 101 are on their way.
    note_log_context(request);
  }

  void note_log_context(const UpgradeRequest& request) {
    const std::string host = header_value(request, beast::http::field::host);
    context_ = log::make_context({{"url", std::string(peer_.tls ? "https://" : "http://") + host +
                                              std::string(request.target())},
                                  {"id", id_},
                                  {"remote", peer_.remote_address},
                                  {"command", target_.executable},
                                  {"origin", header_value(request, beast::http::field::origin)}});
  }

  // Server shutdown: close 1001 ("going away"), then end the child.
  void stop() override {
    if (stopping_) return;
    stopping_ = true;
    if (connected_) {
      begin_termination();
      send_close(websocket::close_code::going_away);
    } else {
      error_code ignored;  // the handshake has not finished; just drop it
      socket_of(beast::get_lowest_layer(ws_)).close(ignored);
    }
  }

 private:
  // Runs `body(*this)` as a coroutine on our worker; the session lives at
  // least as long as any of its tasks.
  template <typename Body>
  void spawn_task(Body body) {
    spawn_session_task(ws_.get_executor(), this->shared_from_this(), context_, std::move(body));
  }

  // Our close frame, after what is being sent (a close_code converts).
  void send_close(websocket::close_reason reason) {
    EndingWriteWatch::start(this->shared_from_this());
    spawn_task(
        [reason = std::move(reason)](WsSession& self) { return self.writer_.close(reason); });
  }

  asio::awaitable<void> look_up_then_handshake(UpgradeRequest request,
                                               const std::string* subprotocol) {
    const std::string remote_host =
        co_await lookup_remote_host(ws_.get_executor(), peer_.remote_address, peer_.remote_port);
    if (!stopping_) pending_ = start_child(request, remote_host, subprotocol);
    handshake(request);
  }

  // Beast builds the 101 from the request when the write starts (it keeps
  // no reference to it), and the write is tried at once.
  void handshake(const UpgradeRequest& request) {
    ws_.async_accept(request,
                     [self = this->shared_from_this()](error_code ec) { self->on_handshake(ec); });
  }

  void on_handshake(error_code ec) {
    if (ec || stopping_) {
      worker_.run_retired();
      if (ec) log::write(LogLevel::debug, "session", {}, "handshake failed: " + ec.message());
      client_.open = false;
      pending_.reset();
      begin_termination();  // a child already adopted; one still on its way, once it arrives
      return;
    }
    metrics::responded(101);
    handshake_done_ = true;
    // Not stopping: start_child() was called. Otherwise its answer calls us.
    if (pending_->has_answer()) begin_serving();
  }

  // The handshake is done and the spawn answered.
  void begin_serving() {
    const std::error_code spawn_error = pending_->error();
    pending_.reset();
    if (!child_) {
      worker_.run_retired();
      log::write(LogLevel::error, "process", context_,
                 "cannot start " + target_.executable + ": " + spawn_error.message());
      send_close(websocket::close_code::internal_error);
      return;
    }
    connected_ = true;
    log::write(LogLevel::access, "session", context_, "CONNECT");
    start_session_timer();
    // The session owns the stream: the hook cannot outlive it.
    ws_.next_layer().before_socket_read(
        [](void* session) { static_cast<WsSession*>(session)->hand_kept_input_now(); }, this);
    read_client();
    this->relay_output(child_->child(), state_.config.binary || state_.config.pty);
    // The sessions that ended before us (their group kill, closes, reap and
    // DISCONNECT), now: our spawn and 101 went first, and the program is
    // still starting (about 0.5 ms for cat), time this worker would
    // otherwise spend waiting. Right after the 101 it kept the client, woken
    // by the 101, from the core while the program started on the other.
    worker_.run_retired();
  }

  // The child is adopted the moment it arrives, even mid-handshake, as
  // before the split: adopting it only after the handshake cost every idle
  // connection about 0.15 KiB more (wsbench hold, 1000 connections; we
  // suspect the order of long- and short-lived allocations).
  std::shared_ptr<PendingChild> start_child(const UpgradeRequest& request,
                                            const std::string& remote_host,
                                            const std::string* subprotocol) {
    worker_.program_requested();
    RequestFacts facts = request_facts(request, peer_, target_, id_, remote_host);
    if (subprotocol) facts.websocket_protocol = *subprotocol;
    SpawnRequest spawn = spawn_request_for(target_, facts, state_);
    add_terminal_settings(spawn, state_.config, request.target());
    return PendingChild::request(*state_.spawner, std::move(spawn), ws_.get_executor(),
                                 [self = this->shared_from_this()](PendingChild& answer) {
                                   self->adopt_child(answer);
                                   if (!self->client_.open) {
                                     // The handshake failed meanwhile: end the child at once.
                                     self->begin_termination();
                                   } else if (self->handshake_done_) {
                                     self->begin_serving();
                                   }
                                 });
  }

  void adopt_child(PendingChild& answer) {
    StartedChild started = answer.take();
    if (!started) return;  // the spawn failed: run() reports why
    std::error_code error;
    auto child = ChildProcess::adopt(ws_.get_executor(), std::move(started), error);
    if (!child) return answer.adoption_failed(error);  // killed and reaped by adopt
    log::add_to_context(context_, "pid", std::to_string(child->pid()));
    child_ = std::make_shared<ChildSupervisor>(std::move(child), std::move(*slot_),
                                               milliseconds(state_.config.close_ms), context_);
    slot_.reset();
    stdin_feeder_.emplace(child_->child().stdin_pipe(), this->weak_from_this(),
                          state_.config.pty ? StdinKind::terminal : StdinKind::pipe);
    close_stdin_through_feeder(*child_, this->weak_from_this(), &WsSession::stdin_feeder_);
    child_->watch([self = this->shared_from_this()] { self->on_child_exited(); });
  }

  // Client -> child: each message of our mode becomes input, with "\n"
  // after a text message. Messages are queued for the feeder, which writes
  // those that arrive together in one go; reading stops while its queue is
  // full: that is the back-pressure on the client. Callbacks, not a
  // coroutine: an idle connection keeps no coroutine frame.
  void read_client() {
    // In the middle of a batch already read the next message is here: read
    // it whole, in one Beast operation instead of two (each costs a turn
    // of the event loop).
    if (ws_.next_layer().read_ahead_bytes() > 0) return read_rest_of_client_message();
    // Beast sets aside room for the payload before it waits, so the wait for
    // the next message asks for a little; a longer message is read to its
    // end once it is arriving.
    ws_.async_read_some(input_.buffer(), limits::kWaitingReadBytes,
                        [self = this->shared_from_this()](error_code ec, std::size_t) {
                          if (!ec && !self->ws_.is_message_done()) {
                            self->read_rest_of_client_message();
                          } else {
                            self->on_client_message(ec);
                          }
                        });
  }

  void read_rest_of_client_message() {
    ws_.async_read(input_.buffer(), [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->on_client_message(ec);
    });
  }

  void on_client_message(error_code ec) {
    if (ec) return client_read_ended(ec);
    note_activity();
    StdinFeeder& feeder = *stdin_feeder_;
    const bool binary_mode = state_.config.binary;
    const bool wanted = ws_.got_binary() == binary_mode;  // the other type is ignored
    if (state_.config.pty) {
      if (!feeder.broken()) {
        const auto payload = input_.buffer().cdata();
        deliver_to_terminal(
            ws_.got_binary(),
            std::string_view(static_cast<const char*>(payload.data()), payload.size()), feeder,
            child_->child().stdout_pipe().native_handle(), context_);
      }
    } else if (wanted && !feeder.broken()) {
      metrics::message_to_program(input_.keep_message(/*newline=*/!binary_mode));
      // More of a pipelined batch is already read: it joins this message, so
      // the batch reaches the child in one write (input_batch.hpp).
      const std::size_t read_ahead = ws_.next_layer().read_ahead_bytes();
      if (input_.should_wait_for_more(read_ahead > 0)) {
        input_.make_room_for(read_ahead);
        return read_client();
      }
    }
    hand_input_to_feeder();
    if (feeder.has_room()) {
      read_client();
    } else {
      reads_paused_ = true;
      watch_paused_client();
      PausedClientProbe::start(this->shared_from_this());
      // Weak: the feeder belongs to this session, so a strong reference
      // here would be a cycle (the child's exit watch keeps the session).
      feeder.when_room([weak = this->weak_from_this()] {
        const auto self = weak.lock();
        if (!self) return;
        self->reads_paused_ = false;
        if (!self->client_.open) return;
        self->stop_watching_paused_client();
        self->read_client();
      });
    }
  }

  // While reads are paused nothing waits on the socket, so a client that
  // resets the connection would go unseen until the program drains its
  // stdin, which a busy program may never do: it would keep the program,
  // its pipes, the socket and a --maxforks slot. So the socket is watched
  // for an error or a hang-up meanwhile (epoll reports both to any waiter),
  // without reading what the client already sent. A weak pointer: a wait
  // left over once reads resume must not keep the session alive.
  //
  // One watch at a time. Asio ends such a wait only on an error, a hang-up
  // or urgent data, so each pause used to leave one more behind: a client
  // streaming 64 KiB messages, paused once per message, grew the server by
  // 1.5 MB a second for as long as it stayed.
  void watch_paused_client() {
    if (watching_paused_client_) return;
    watching_paused_client_ = true;
    auto& socket = socket_of(beast::get_lowest_layer(ws_));
    socket.async_wait(asio::socket_base::wait_error,
                      [weak = this->weak_from_this()](error_code ec) {
                        // Aborted: stop_watching_paused_client() (which
                        // already cleared the flag) or the socket's close.
                        if (ec == asio::error::operation_aborted) return;
                        auto self = weak.lock();
                        if (!self) return;
                        self->watching_paused_client_ = false;
                        if (ec || !self->reads_paused_ || !self->client_.open) return;
                        if (!socket_failed(socket_of(beast::get_lowest_layer(self->ws_)))) {
                          return self->watch_paused_client();  // urgent data, not an end
                        }
                        self->client_read_ended(asio::error::connection_reset);
                      });
  }

  // Reads resume: the watch is ended too, when that cancels nothing else.
  // A wait left on the socket makes Asio queue every later read behind an
  // epoll round, even when the bytes are already there (no speculative
  // read): one epoll_wait more per 64 KiB message (strace -c). Cancelling
  // ends every operation on the socket, so only when none other is there:
  // no read while paused unless our close is under way (Beast then reads
  // the client's reply), and no write when our layer is idle. Otherwise
  // the watch stays and serves the next pause.
  void stop_watching_paused_client() {
    if (!watching_paused_client_ || !client_.writable() || !ws_.next_layer().idle()) return;
    error_code ignored;
    socket_of(beast::get_lowest_layer(ws_)).cancel(ignored);
    watching_paused_client_ = false;
  }

  // The feeder has its own copy: an idle connection keeps no buffer.
  void hand_input_to_feeder() {
    hand_kept_input_now();
    input_.clear();
  }

  // Before the socket is read again, the messages of the batch are handed
  // over: they must not wait for the rest of a message still on its way.
  void hand_kept_input_now() {
    if (input_.unhanded().empty()) return;
    stdin_feeder_->queue(input_.unhanded(), /*newline=*/false);
    input_.mark_handed();
  }

  void client_read_ended(error_code ec) {
    log_client_read_end(ec, context_);
    client_.open = false;
    if (stdin_feeder_) hand_input_to_feeder();  // the messages read before the end go to the child
    input_.clear();
    if (state_.config.pty && child_) hang_up_terminal(child_->child());
    EndingWriteWatch::start(this->shared_from_this());  // a half-closed client may read no more
    // The ladder's first step closes stdin only once what the client sent
    // before it left is in the pipe (see on_close_stdin above).
    begin_termination();
    // Its program already gone (it usually is: its stdin closed at the close
    // frame), the rest of the end waits too, as in on_child_exited.
    if (child_ && child_->exited()) return retire_the_rest();
    release_pipes_if_done();
  }

  // The client's close frame: it sends nothing more, so its program's stdin
  // closes now (after what it sent before), while Beast answers the close and
  // waits for the client's end of the TCP connection, not once that round
  // trip is over. A client that opens one connection after another connects
  // again the moment it has closed: this way its last program exits, and its
  // end of file and exit are handled, while this worker waits for that FIN
  // instead of between the next connection's request and its 101. `this`:
  // the callback belongs to our stream.
  void on_close_frame() {
    if (!client_.open || !stdin_feeder_ || !child_) return;
    hand_kept_input_now();
    begin_termination();
  }

  // When the client is gone and the child has exited, whatever is left of
  // its process group (a background job still holding stdout) is killed and
  // our pipe ends are closed, so the session can end. The child is not yet
  // reaped, so its pid (the group id) cannot have been reused.
  void release_pipes_if_done() {
    if (client_.open || !child_ || !child_->exited() || pipes_released_) return;
    pipes_released_ = true;
    child_->child().release_after_exit();
  }

  void begin_termination() {
    if (child_) child_->terminate();
  }

  void on_child_exited() {
    if (!client_.open) return retire_the_rest();
    release_pipes_if_done();
    if (std::exchange(close_after_exit_, false)) close_once_exited();
  }

  // Both sides gone and the program exited: what is left (the group kill,
  // the closes, the reap and DISCONNECT when we go) can wait for the next
  // connection's spawn (Worker::retire). The --maxforks slot does not wait
  // with it: a client that connects again at once would find it taken.
  void retire_the_rest() {
    child_->release_slot_after_exit();
    worker_.retire([self = this->shared_from_this()] { self->release_pipes_if_done(); });
  }

  // The normal close once stdout has ended. Its reason says how the program
  // ended ("exit 3", "signal 9"), so it waits for the exit: at once for a
  // program that exited, at most the ladder's length for one that only
  // closed its stdout (the caller has started the ladder).
  void close_once_exited() {
    if (!client_.writable() || stopping_) return;
    if (!child_->exited()) {
      close_after_exit_ = true;
      return;
    }
    const auto& program_exit = child_->program_exit();
    const std::string reason = program_exit ? exit_close_reason(*program_exit) : "";
    send_close(websocket::close_reason(websocket::close_code::normal, reason));
  }

  // --idlems, --lifetimems: one timer, which holds the session weakly.
  void start_session_timer() {
    const SessionTimeoutPolicy policy{milliseconds(state_.config.idle_ms),
                                      milliseconds(state_.config.lifetime_ms)};
    if (!policy.any()) return;
    session_timer_ = SessionTimer::start(ws_.get_executor(), policy,
                                         [weak = this->weak_from_this()](SessionTimeout timeout) {
                                           if (auto self = weak.lock())
                                             self->close_for_timeout(timeout);
                                         });
  }

  void note_activity() {
    if (session_timer_) session_timer_->note_activity();
  }

  // A closing session (its client gone, or stdout ended and the close
  // waiting for the exit) keeps the reason it already has.
  void close_for_timeout(SessionTimeout timeout) {
    if (!client_.writable() || stopping_ || close_after_exit_) return;
    timed_out_ = timeout;
    begin_termination();
    send_close(
        websocket::close_reason(websocket::close_code::normal, session_timeout_reason(timeout)));
  }

  websocket::stream<CorkableStream<Stream>> ws_;
  ClientState client_;
  ClientWriter<Stream> writer_;
  PeerInfo peer_;
  ScriptTarget target_;
  std::optional<ForkSlot> slot_;  // handed to the supervisor once the child runs
  ServerState& state_;
  Worker& worker_;
  WorkerRegistration registration_;
  metrics::SessionMeter meter_{SessionKind::websocket};
  std::string id_;
  std::string context_;
  std::shared_ptr<ChildSupervisor> child_;
  std::optional<StdinFeeder> stdin_feeder_;  // once the child runs
  // The spawn, from the request until the handshake is done and it answered.
  std::shared_ptr<PendingChild> pending_;
  InputBatch input_;  // the client's messages being read

  bool pipes_released_ = false;
  bool stopping_ = false;
  bool handshake_done_ = false;          // our 101 was written
  bool reads_paused_ = false;            // the stdin queue is full: the client is not read
  bool watching_paused_client_ = false;  // a watch_paused_client() wait is on the socket
  PausedClientProbe paused_probe_;
  bool connected_ = false;  // the handshake is done and the child runs: CONNECT was logged
  EndingWriteWatch ending_watch_;

  // Session timeouts and the exit status.
  std::shared_ptr<SessionTimer> session_timer_;  // with --idlems or --lifetimems, once connected
  SessionTimeout timed_out_ = SessionTimeout::none;  // the timeout that closed the session
  bool close_after_exit_ = false;  // stdout ended before the exit was seen: close on the exit
};

}  // namespace ws_session_detail

using ws_session_detail::WsSession;
namespace beast = boost::beast;

template <typename Stream>
void start_ws_session(Stream stream, UpgradeRequest request, PeerInfo peer, ScriptTarget target,
                      ForkSlot slot, ServerState& state, Worker& worker) {
  beast::get_lowest_layer(stream).expires_never();  // the WebSocket's own timeouts take over
  auto transport = websocket_transport(std::move(stream));
  using Session = WsSession<decltype(transport)>;
  auto session = std::make_shared<Session>(std::move(transport), std::move(peer), std::move(target),
                                           std::move(slot), state, worker);
  session->start(std::move(request));
}

template void start_ws_session(PlainStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                               ServerState&, Worker&);
template void start_ws_session(TlsStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                               ServerState&, Worker&);
template void start_ws_session(UnixStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                               ServerState&, Worker&);

}  // namespace wsexec
