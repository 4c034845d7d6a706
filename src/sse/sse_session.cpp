#include "sse/sse_session.hpp"

#include <boost/asio/post.hpp>
#include <chrono>

#include "core/exit_status.hpp"
#include "core/tagged_output.hpp"
#include "process/child_process.hpp"
#include "process/child_supervisor.hpp"
#include "process/feeder_close.hpp"
#include "server/log.hpp"
#include "sse/sse_registry.hpp"
#include "sse/sse_session_ref.hpp"
#include "sse/sse_token.hpp"
#include "websocket/pending_child.hpp"
#include "websocket/session_end.hpp"
#include "websocket/terminal_input.hpp"

namespace wsexec {

namespace asio = boost::asio;
using boost::system::error_code;
using std::chrono::milliseconds;

void SseSessionRef::release() {
  if (!session_) return;
  // The handler holds the last reference, if it is the last, to the
  // session's own thread; dropped there after the handler runs.
  const auto executor = session_->executor();
  asio::post(executor, [session = std::move(session_)] {});
}

std::shared_ptr<SseSession> SseSession::start(SseSessionStart start, std::optional<ForkSlot> slot,
                                              ServerState& state, Worker& worker,
                                              const asio::any_io_executor& executor) {
  SpawnRequest spawn = std::move(start.spawn);
  std::optional<SseSharedJoin> shared = std::move(start.shared);
  auto session =
      std::make_shared<SseSession>(std::move(start), std::move(slot), state, worker, executor);
  if (shared) {
    session->shared_ = SseSharedClient::join(session, std::move(*shared), state, worker);
  } else {
    session->spawn_child(std::move(spawn));
  }
  return session;
}

SseSession::SseSession(SseSessionStart start, std::optional<ForkSlot> slot, ServerState& state,
                       Worker& worker, const asio::any_io_executor& executor)
    : state_(state),
      executor_(executor),
      registration_(worker, this),
      token_(new_session_token()),
      context_(std::move(start.log_context)),
      post_url_(std::move(start.post_url_without_token)),
      slot_(std::move(slot)),
      outbox_(state.config.sse_resume_buffer_bytes,
              [this] {
                // Called from the stream's thread, which holds the session.
                asio::post(executor_, [self = shared_from_this()] {
                  if (OutputPump* pump = std::exchange(self->paused_pump_, nullptr)) pump->resume();
                });
              }),
      resume_timer_(executor),
      binary_(state.config.binary || state.config.pty) {
  log::add_to_context(context_, "transport", start.transport);
  log::add_to_context(context_, "session", token_for_log(token_));
}

SseSession::~SseSession() {
  if (!connected_) return;
  const auto program_exit = child_ ? child_->program_exit() : std::nullopt;
  log::write(LogLevel::access, "session", disconnect_context(context_, timed_out_, program_exit),
             "DISCONNECT");
}

void SseSession::spawn_child(SpawnRequest spawn) {
  // The spawner's callback holds the answer box and the session until it runs.
  PendingChild::request(
      *state_.spawner, std::move(spawn), executor_,
      [self = shared_from_this()](PendingChild& answer) { self->adopt_child(answer); });
}

void SseSession::adopt_child(PendingChild& answer) {
  StartedChild started = answer.take();
  std::unique_ptr<ChildProcess> child;
  std::error_code error = answer.error();
  if (started) child = ChildProcess::adopt(executor_, std::move(started), error);
  if (!child) {
    log::write(LogLevel::error, "process", context_,
               "cannot start " + state_.executable + ": " + error.message());
    return finish(1011, "");  // what a WebSocket client gets: internal error
  }
  log::add_to_context(context_, "pid", std::to_string(child->pid()));
  child_ = std::make_shared<ChildSupervisor>(std::move(child), std::move(*slot_),
                                             milliseconds(state_.config.close_ms), context_);
  slot_.reset();
  stdin_feeder_.emplace(child_->child().stdin_pipe(), weak_from_this(),
                        state_.config.pty ? StdinKind::terminal : StdinKind::pipe);
  close_stdin_through_feeder(*child_, weak_from_this(), &SseSession::stdin_feeder_);
  child_->watch([self = shared_from_this()] { self->on_child_exited(); });
  if (stopping_ || !client_open_) return begin_termination();  // nobody to serve any more

  announce();
  ChildProcess& running = child_->child();
  const auto framing = binary_ ? OutputPump::Framing::chunks : OutputPump::Framing::lines;
  OutputSink& sink = *this;  // a private base: converted here, where that is allowed
  stdout_pump_.emplace(running.stdout_pipe(), OutputStream::stdout_stream, framing, sink);
  stderr_pump_.emplace(running.stderr_pipe(), OutputStream::stderr_stream,
                       OutputPump::Framing::lines, sink);
  stdout_pump_->start();
  stderr_pump_->start();
}

// The program runs: the session event, the registry (POSTs and resumes
// find it from now on), the log.
void SseSession::announce() {
  connected_ = true;
  state_.sse_sessions->add(token_, shared_from_this());
  outbox_.publish_session(token_, post_url_ + "?wsexec_session=" + token_,
                          state_.config.sse_resume_ms);
  log::write(LogLevel::access, "session", context_, "CONNECT");
  if (child_) start_session_timer();  // a shared program's clients have none, on any transport
}

// --idlems, --lifetimems: one timer, which holds the session weakly. A
// message either way counts as activity (a POST delivered, an event made);
// keep-alive comments do not, as pings do not.
void SseSession::start_session_timer() {
  const SessionTimeoutPolicy policy{milliseconds(state_.config.idle_ms),
                                    milliseconds(state_.config.lifetime_ms)};
  if (!policy.any()) return;
  session_timer_ =
      SessionTimer::start(executor_, policy, [weak = weak_from_this()](SessionTimeout timeout) {
        if (auto self = weak.lock()) self->close_for_timeout(timeout);
      });
}

void SseSession::note_activity() {
  if (session_timer_) session_timer_->note_activity();
}

// The close event (1000, "idle" or "lifetime"), then the ladder; what the
// program still prints is not sent. A session already closing keeps its
// reason.
void SseSession::close_for_timeout(SessionTimeout timeout) {
  if (finished_ || stopping_ || close_after_exit_) return;
  timed_out_ = timeout;
  resume_timer_.cancel();
  finish(1000, std::string(session_timeout_reason(timeout)));
  begin_termination();
}

void SseSession::shared_program_running(pid_t pid) {
  if (connected_ || finished_ || stopping_ || !client_open_) return;
  log::add_to_context(context_, "pid", std::to_string(pid));
  announce();
}

void SseSession::end_with(unsigned code, const std::string& reason) {
  resume_timer_.cancel();
  finish(code, reason);
}

unsigned SseSession::deliver(const std::string& message, bool binary) {
  if (shared_) return finished_ || !client_open_ ? 404 : shared_->send(message, binary);
  if (finished_ || !client_open_ || !stdin_feeder_ || stdin_feeder_->broken()) return 404;
  StdinFeeder& feeder = *stdin_feeder_;
  if (!feeder.has_room()) return 429;
  if (state_.config.pty) {
    note_activity();
    deliver_to_terminal(binary, message, feeder, child_->child().stdout_pipe().native_handle(),
                        context_);
    return 204;
  }
  if (binary != state_.config.binary) return 415;
  metrics::message_to_program(message.size());
  note_activity();
  feeder.queue(message, /*newline=*/!binary);
  return 204;
}

// Child -> client: each piece becomes an event. Stderr goes to the log,
// and with --passstderr to the client as text events too: then every line,
// of either stream, is the JSON object a WebSocket client gets
// ({"stream":"stdout","data":"..."}), so a client reads the same messages
// over either transport.
void SseSession::on_output(OutputPump& pump) {
  if (publish_pieces(pump, false)) resume_pump_when_room(pump);
}

void SseSession::on_output_end(OutputPump& pump) {
  publish_pieces(pump, true);
  if (pump.stream() != OutputStream::stdout_stream) return;
  // Everything the child wrote is in the outbox: it is on its way out.
  begin_termination();
  close_once_exited();
}

// False when the session ended meanwhile (its buffer overflowed).
bool SseSession::publish_pieces(OutputPump& pump, bool at_end) {
  const bool is_stdout = pump.stream() == OutputStream::stdout_stream;
  const bool to_client = is_stdout || state_.config.pass_stderr;
  for (;;) {
    const auto piece = at_end ? pump.last_piece() : pump.next_piece();
    if (!piece) break;
    if (!is_stdout) log::write(LogLevel::error, "stderr", context_, *piece);
    if (!to_client) continue;
    note_activity();
    if (state_.config.pass_stderr) {  // never with --binary or --pty (refused at start-up)
      std::string tagged;
      append_tagged_line(pump.stream(), *piece, tagged);
      metrics::message_to_client(tagged.size());
      outbox_.publish_message(tagged, false);
    } else {
      metrics::message_to_client(piece->size());
      outbox_.publish_message(*piece, is_stdout && binary_);
    }
  }
  end_if_buffer_overflows();
  return !finished_;
}

void SseSession::resume_pump_when_room(OutputPump& pump) {
  if (outbox_.has_room_or_notify()) return pump.resume();
  paused_pump_ = &pump;  // on_room resumes it
}

// Detached, output is kept for a resume up to --resumebuffer; past it the
// session ends rather than lose an event the client has not seen.
void SseSession::end_if_buffer_overflows() {
  if (!client_open_ || outbox_.attached() ||
      outbox_.unsent_bytes() <= state_.config.sse_resume_buffer_bytes) {
    return;
  }
  client_gone("output past --resumebuffer while no client was attached");
}

void SseSession::stream_lost() {
  if (!client_open_) return;
  if (state_.config.sse_resume_ms == 0) return client_gone(nullptr);
  if (OutputPump* pump = std::exchange(paused_pump_, nullptr)) pump->resume();
  const std::uint64_t lost = ++streams_lost_;
  resume_timer_.expires_after(milliseconds(state_.config.sse_resume_ms));
  resume_timer_.async_wait([weak = weak_from_this(), lost](error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->streams_lost_ != lost || self->outbox_.attached()) return;
    self->client_gone("no client came back within --resumems");
  });
}

// The client will not come back: the session ends as a WebSocket session
// whose client left does.
void SseSession::client_gone(const char* why) {
  if (!client_open_) return;
  client_open_ = false;
  if (why) log::write(LogLevel::info, "session", context_, why);
  resume_timer_.cancel();
  finish(1001, "");  // nobody reads it: only the registry entry goes
  if (shared_) shared_->leave();
  if (state_.config.pty && child_) hang_up_terminal(child_->child());
  begin_termination();
  release_pipes_if_done();
}

// As in the WebSocket session: once the client is gone and the child has
// exited, a background job still holding the pipes is killed and our ends
// closed, so the session can end.
void SseSession::release_pipes_if_done() {
  if (client_open_ || !child_ || !child_->exited() || pipes_released_) return;
  pipes_released_ = true;
  child_->child().release_after_exit();
  if (paused_pump_) std::exchange(paused_pump_, nullptr)->resume();
}

void SseSession::begin_termination() {
  if (child_) child_->terminate();
}

void SseSession::on_child_exited() {
  release_pipes_if_done();
  if (std::exchange(close_after_exit_, false)) close_once_exited();
}

// The close event says how the program ended, so it waits for the exit.
void SseSession::close_once_exited() {
  if (finished_) return;
  if (!child_->exited()) {
    close_after_exit_ = true;
    return;
  }
  const auto& program_exit = child_->program_exit();
  finish(1000, program_exit ? exit_close_reason(*program_exit) : "");
}

void SseSession::finish(unsigned code, const std::string& reason) {
  if (finished_) return;
  finished_ = true;
  outbox_.publish_close(code, reason);
  // Later, not here: the registry may hold the last reference, and the
  // caller goes on using the session. Meanwhile a POST finds it finished.
  asio::post(executor_,
             [self = shared_from_this()] { self->state_.sse_sessions->remove(self->token_); });
}

void SseSession::stop() {
  if (stopping_) return;
  stopping_ = true;
  finish(1001, "");
  if (shared_) shared_->leave();
  begin_termination();
}

}  // namespace wsexec
