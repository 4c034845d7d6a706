// A resumable session's WebSocket stream (subprotocol wsexec.v1): the
// session's events as messages (its JSON first, the close event as the
// close frame), the client's messages to the program's input with
// back-pressure, and what the end of the connection means for the session.
#include "sse/ws_resumable.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <optional>

#include "core/sse_protocol.hpp"
#include "core/url_path.hpp"
#include "core/ws_resume.hpp"
#include "server/async_event.hpp"
#include "server/fork_slot.hpp"
#include "server/teardown_sweep.hpp"
#include "sse/sse_answer.hpp"
#include "sse/sse_registry.hpp"
#include "sse/sse_session.hpp"
#include "sse/sse_stream_waker.hpp"
#include "sse/sse_token.hpp"
#include "websocket/corkable_stream.hpp"
#include "websocket/negotiation.hpp"
#include "websocket/remote_host.hpp"
#include "websocket/terminal_input.hpp"
#include "websocket/websocket_setup.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using boost::system::error_code;

// configure_websocket keeps a pointer to the name until the handshake ends.
const std::string kResumeSubprotocolName{kResumeSubprotocol};

std::string url_of(const RequestHead& request, const PeerInfo& peer) {
  return std::string(peer.tls ? "wss://" : "ws://") +
         std::string(find_header(request, http::field::host).value_or("")) +
         std::string(request.target());
}

// Made outside the coroutines: GCC cannot keep an initializer list's array
// in a coroutine frame.
std::string refusal_context(const RequestHead& request, const PeerInfo& peer,
                            std::string_view token) {
  if (token.empty()) {
    return log::make_context({{"url", url_of(request, peer)}, {"remote", peer.remote_address}});
  }
  return log::make_context({{"url", url_of(request, peer)},
                            {"remote", peer.remote_address},
                            {"transport", "websocket"},
                            {"session", token_for_log(token)}});
}

// The program sees what a plain WebSocket client's program sees, with
// WEBSOCKET_PROTOCOL the --subprotocol the client also offered, if any:
// wsexec.v1 is the server's framing, never the program's.
SseSessionStart session_start_for(const RequestHead& request, const ScriptTarget& target,
                                  const PeerInfo& peer, const std::string& remote_host,
                                  ServerState& state) {
  const std::string id = state.next_connection_id();
  RequestFacts facts = request_facts(request, peer, target, id, remote_host);
  if (const std::string* chosen = chosen_subprotocol(request, state.config)) {
    facts.websocket_protocol = *chosen;
  }
  SseSessionStart start;
  start.spawn = spawn_request_for(target, facts, state);
  add_terminal_settings(start.spawn, state.config, request.target());
  start.log_context = log::make_context(
      {{"url", url_of(request, peer)},
       {"id", id},
       {"remote", peer.remote_address},
       {"command", target.executable},
       {"origin", std::string(find_header(request, http::field::origin).value_or(""))}});
  start.post_url_without_token = std::string(split_target(request.target()).first);
  start.transport = "websocket";
  return start;
}

// The reader's wait for the session's answer to one message. The answer
// comes from the session's thread; the timer it cancels is on the reader's
// coroutine frame and touched only on the reader's thread (`timer` is reset
// there before the frame goes), so this box holds no Asio object and may
// be released on either thread.
struct InputAnswer {
  asio::steady_timer* timer = nullptr;
  std::optional<unsigned> status;
};

// What one connection's reader and writer share (on the connection's thread).
template <typename Stream>
struct Connection {
  // Over a CorkableStream for what it does at a close: the client's close
  // frame with a code from 5000 up is answered 1002 (Beast would echo it),
  // and the wait for the client's end of TCP is limited by the worker's
  // sweep (server/teardown_sweep.hpp). Nothing is corked here.
  websocket::stream<CorkableStream<Stream&>> ws;
  SseSession& session;  // held by serve_resumable_websocket's SseSessionRef
  std::shared_ptr<SseStreamWaker> waker;
  AsyncEvent reader_done;
  bool reader_started = false;
  bool writer_done = false;
  bool closed_by_client = false;  // the client's close frame: the session ends now
  bool close_frame_read = false;
  asio::steady_timer* reader_wait = nullptr;

  Connection(Stream& stream, SseSession& s, std::shared_ptr<SseStreamWaker> w,
             TeardownSweep& teardown_sweep)
      : ws(stream), session(s), waker(std::move(w)), reader_done(stream.get_executor()) {
    ws.next_layer().limit_teardown_by(teardown_sweep);
  }
  bool over() const { return writer_done || waker->client_left(); }
  // The client's close frame is read: the sweep's clock starts now, not
  // once Beast's teardown does (as a plain session's), because our reply
  // may wait behind an event being written to a client that has stopped
  // reading. Such a client loses the events it was still to get; its
  // session ends either way. (A close we begin is bounded by Beast's
  // handshake timeout.) Beast's teardown, if it comes, keeps this place.
  void closing_starts() { ws.next_layer().teardown_starts(); }
};

// One message to the program: run on the session's thread, answered on
// ours. nullopt when the stream ended before the answer came.
template <typename Stream>
asio::awaitable<std::optional<unsigned>> deliver(Connection<Stream>& connection,
                                                 std::string message, bool binary) {
  const auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  auto answer = std::make_shared<InputAnswer>();
  answer->timer = &timer;
  auto on_answer = [answer, executor](unsigned status) {
    asio::post(executor, [answer, status] {
      answer->status = status;
      if (answer->timer) answer->timer->cancel();
    });
  };
  asio::post(connection.session.executor(),
             [session = connection.session.shared_from_this(), message = std::move(message), binary,
              on_answer = std::move(on_answer)]() mutable {
               session->deliver_when_room(std::move(message), binary, std::move(on_answer));
             });
  connection.reader_wait = &timer;
  while (!answer->status && !connection.over()) {
    timer.expires_after(limits::kWsResumeInputRecheck);
    error_code ignored;  // a cancel is the answer (or the end of the stream)
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  connection.reader_wait = nullptr;
  answer->timer = nullptr;
  co_return answer->status;
}

// Client -> program, one message at a time: the next is not read until the
// program's input took this one (the back-pressure a plain WebSocket
// session applies; no 429 here).
template <typename Stream>
asio::awaitable<void> read_messages(Connection<Stream>& connection) {
  bool input_closed = false;
  for (;;) {
    beast::flat_buffer buffer;
    error_code ec;
    co_await connection.ws.async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      // A close frame is the client's choice, except 1001 (a page going
      // away, which a reload comes back from); no frame is a broken line.
      // (A close frame read and then an error: the sweep ended the wait
      // for the client's end of TCP. The frame still counts.)
      connection.closed_by_client =
          (ec == websocket::error::closed || connection.close_frame_read) &&
          connection.ws.reason().code != websocket::close_code::going_away;
      connection.waker->mark_client_left();
      break;
    }
    // After a 404 (the program's input is closed, or the session is over
    // and its close frame on its way) messages are read and dropped, so
    // pings and the client's close frame are still seen.
    if (input_closed) continue;
    const auto status = co_await deliver(connection, beast::buffers_to_string(buffer.data()),
                                         !connection.ws.got_text());
    if (!status) break;  // the stream ended meanwhile
    input_closed = *status == 404;
  }
  connection.reader_done.set();
}

template <typename Stream>
void start_reader(Connection<Stream>& connection) {
  if (std::exchange(connection.reader_started, true)) return;
  asio::co_spawn(connection.ws.get_executor(), read_messages(connection), asio::detached);
}

enum class WriterEnd { session_over, client_left, lost, replaced };

// Session -> client: each event as one message, the close event as the
// close frame. Clients count the messages after the first (the session's
// JSON, id 0): message n is event n.
template <typename Stream>
asio::awaitable<WriterEnd> write_events(Connection<Stream>& connection, SseOutbox& outbox) {
  auto& ws = connection.ws;
  for (;;) {
    connection.waker->clear_wake();
    SseOutbox::EventBatch batch = outbox.take_events(*connection.waker);
    if (batch.replaced) co_return WriterEnd::replaced;
    for (const SessionEvent& event : batch.events) {
      error_code ec;
      if (event.kind == SessionEvent::Kind::close) {
        // The codes are ours (1000, 1001, 1011) and the reasons an exit
        // status: well within the frame's 123 bytes.
        const websocket::close_reason reason(static_cast<websocket::close_code>(event.code),
                                             event.text);
        co_await ws.async_close(reason, asio::redirect_error(asio::use_awaitable, ec));
        co_return WriterEnd::session_over;
      }
      ws.text(event.kind != SessionEvent::Kind::binary);
      co_await ws.async_write(asio::buffer(event.text),
                              asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return WriterEnd::lost;
      // The session's JSON is published once its program runs: from then
      // on the client's messages have somewhere to go.
      if (event.kind == SessionEvent::Kind::session) start_reader(connection);
    }
    if (connection.waker->client_left()) co_return WriterEnd::client_left;
    // Woken by the next event or the reader's end; Beast pings by itself
    // (--pingms), so the timeout is only a look now and then.
    co_await connection.waker->wait(limits::kSseDefaultKeepAlive);
    if (connection.waker->client_left()) co_return WriterEnd::client_left;
  }
}

// `resumed`: the session's program runs already, so the client is read at
// once; a new session's client is read once its program runs.
template <typename Stream>
asio::awaitable<void> relay(Stream& stream, const RequestHead& request, SseSessionRef session,
                            std::shared_ptr<SseStreamWaker> waker, ServerState& state,
                            Worker& worker, bool resumed) {
  SseOutbox& outbox = session->outbox();
  Connection<Stream> connection(stream, *session, std::move(waker), worker.teardown_sweep());
  // Beast's WebSocket keeps its own timeouts (configure_websocket).
  beast::get_lowest_layer(stream).expires_never();
  configure_websocket(connection.ws, state, &kResumeSubprotocolName);
  connection.ws.set_option(deflate_settings(request, state.config));
  watch_client_close_frames(connection.ws, session->log_context(), [&connection] {
    connection.close_frame_read = true;
    connection.closing_starts();
  });
  error_code ec;
  co_await connection.ws.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
  WriterEnd end = WriterEnd::lost;
  if (!ec) {
    if (resumed) start_reader(connection);
    end = co_await write_events(connection, outbox);
    connection.writer_done = true;
    if (connection.reader_wait) connection.reader_wait->cancel();
    if (end == WriterEnd::lost || end == WriterEnd::replaced) {
      error_code ignored;  // ends the reader's read: the connection is done with
      beast::get_lowest_layer(stream).socket().close(ignored);
    }
    if (connection.reader_started) co_await connection.reader_done.wait();
  }
  if (end == WriterEnd::session_over) co_return;
  if (!outbox.detach(*connection.waker)) co_return;  // replaced: the newer stream serves it
  const bool for_good = connection.closed_by_client;
  SseSession* target = &*session;
  asio::post(target->executor(), [session = std::move(session), for_good]() mutable {
    if (for_good) {
      session->client_closed();
    } else {
      session->stream_lost();
    }
  });
}

}  // namespace

bool is_resumable_upgrade(const RequestHead& request, const Config& config) {
  std::vector<std::string_view> offered;
  for (const auto& field : request) {
    if (field.name() == http::field::sec_websocket_protocol) offered.push_back(field.value());
  }
  return wants_resumable_websocket(config, offered);
}

template <typename Stream>
asio::awaitable<void> serve_resumable_websocket(Stream& stream, const RequestHead& request,
                                                const ScriptTarget& target, const PeerInfo& peer,
                                                ServerState& state, Worker& worker) {
  const SseQuery query = parse_sse_query(request.target());
  auto waker = std::make_shared<SseStreamWaker>(stream.get_executor());
  if (query.token) {
    const std::string context = refusal_context(request, peer, *query.token);
    const std::optional<std::uint64_t> last_seen = query.last_event_id
                                                       ? parse_event_id(*query.last_event_id)
                                                       : std::optional<std::uint64_t>(0);
    if (!last_seen) {
      co_await sse_answer(stream, http::status::bad_request, request.version(), false, state,
                          context + " reason:'wsexec_last_event_id is not an event id'");
      co_return;
    }
    SseSessionRef session = state.sse_sessions->find(*query.token);
    if (!session || session->outbox().attach(waker, *last_seen) != SseOutbox::Attach::attached) {
      // Unknown, ended, or what follows last_seen is no longer held.
      co_await sse_answer(stream, http::status::not_found, request.version(), false, state,
                          context);
      co_return;
    }
    log::write(LogLevel::access, "session", session->log_context(),
               "RESUME over WebSocket after event " + std::to_string(*last_seen));
    co_await relay(stream, request, std::move(session), std::move(waker), state, worker, true);
    co_return;
  }
  auto slot = ForkSlot::try_acquire(state);
  if (!slot) {  // as a refused upgrade is answered
    metrics::refused(RefusalReason::maxforks);
    co_await sse_answer(stream, http::status::too_many_requests, request.version(), false, state,
                        refusal_context(request, peer, ""));
    co_return;
  }
  // As for a plain upgrade, the program starts once its client's name is known.
  std::string remote_host = peer.remote_address;
  if (state.config.reverse_lookup) {
    remote_host =
        co_await lookup_remote_host(stream.get_executor(), peer.remote_address, peer.remote_port);
  }
  auto session = SseSession::start(session_start_for(request, target, peer, remote_host, state),
                                   std::move(*slot), state, worker, stream.get_executor());
  session->outbox().attach(waker, std::nullopt);
  co_await relay(stream, request, SseSessionRef(std::move(session)), std::move(waker), state,
                 worker, false);
}

template WSEXEC_RESUMABLE_WS_FOR(PlainStream);
template WSEXEC_RESUMABLE_WS_FOR(TlsStream);
template WSEXEC_RESUMABLE_WS_FOR(UnixStream);

}  // namespace wsexec
