// The event stream: a GET that opens a session or resumes one, then every
// event the session makes, flushed as it comes, until the end.
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>

#include "core/url_path.hpp"
#include "http/request_facts.hpp"
#include "server/fork_slot.hpp"
#include "sse/sse_answer.hpp"
#include "sse/sse_exchange.hpp"
#include "sse/sse_registry.hpp"
#include "sse/sse_session.hpp"
#include "sse/sse_stream_waker.hpp"
#include "sse/sse_token.hpp"
#include "websocket/remote_host.hpp"
#include "websocket/terminal_input.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

std::string header_text(const RequestHead& request, http::field field) {
  return std::string(find_header(request, field).value_or(""));
}

std::string url_of(const RequestHead& request, const PeerInfo& peer) {
  return std::string(peer.tls ? "https://" : "http://") + header_text(request, http::field::host) +
         std::string(request.target());
}

// Contexts and the session's start are made outside the coroutines below:
// GCC cannot keep an initializer list's array in a coroutine frame ("array
// used as initializer").
std::string resume_context(const RequestHead& request, const PeerInfo& peer,
                           std::string_view token) {
  return log::make_context({{"url", url_of(request, peer)},
                            {"remote", peer.remote_address},
                            {"transport", "sse"},
                            {"session", token_for_log(token)}});
}

std::string refusal_context(const RequestHead& request, const PeerInfo& peer) {
  return log::make_context({{"url", url_of(request, peer)}, {"remote", peer.remote_address}});
}

// `remote_host`: REMOTE_HOST, the address or with --reverselookup its name.
SseSessionStart session_start_for(const RequestHead& request, const ScriptTarget& target,
                                  const PeerInfo& peer, const std::string& remote_host,
                                  ServerState& state) {
  const std::string id = state.next_connection_id();
  SseSessionStart start;
  if (state.config.shared_mode != SharedMode::off) {
    start.shared = sse_shared_join(target, peer, state, id, url_of(request, peer),
                                   header_text(request, http::field::origin));
  } else {
    start.spawn =
        spawn_request_for(target, request_facts(request, peer, target, id, remote_host), state);
    add_terminal_settings(start.spawn, state.config, request.target());
  }
  start.log_context = log::make_context({{"url", url_of(request, peer)},
                                         {"id", id},
                                         {"remote", peer.remote_address},
                                         {"command", target.executable},
                                         {"origin", header_text(request, http::field::origin)}});
  start.post_url_without_token = std::string(split_target(request.target()).first);
  return start;
}

std::chrono::milliseconds keep_alive_interval(const Config& config) {
  if (config.ping_ms > 0) return std::chrono::milliseconds(config.ping_ms);
  return limits::kSseDefaultKeepAlive;
}

// The time the client has to take a write: at server shutdown only a
// moment, as a WebSocket client has for its close frame.
std::chrono::steady_clock::duration write_timeout(bool stopping) {
  if (stopping) return limits::kSlowClientCloseGrace;
  return limits::kSseWriteTimeout;
}

// Writes one piece of the stream: a chunk under HTTP/1.1, the bytes as they
// are under HTTP/1.0 (the end of the connection ends the response).
template <typename Stream>
asio::awaitable<error_code> write_piece(Stream& stream, bool chunked, std::string_view bytes,
                                        bool stopping) {
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(write_timeout(stopping));
  if (chunked) {
    co_await asio::async_write(stream, http::make_chunk(asio::buffer(bytes)),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(stream, asio::buffer(bytes),
                               asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return ec;
}

// The client sends nothing after its GET, so the socket turning readable
// means it closed its side (or broke the connection, or misbehaves): it
// has left. A wait, not a read: under TLS the bytes belong to the TLS
// layer, and nothing is to be read anyway.
template <typename Stream>
void watch_for_departure(Stream& stream, const std::shared_ptr<SseStreamWaker>& waker) {
  beast::get_lowest_layer(stream).socket().async_wait(
      asio::socket_base::wait_read, [waker](error_code) { waker->mark_client_left(); });
}

http::response<http::empty_body> stream_head(const RequestHead& request, const ServerState& state) {
  http::response<http::empty_body> response{http::status::ok, request.version()};
  add_plain_response_headers(response, state.config, state.server_software);
  response.set(http::field::content_type, "text/event-stream");
  response.set(http::field::cache_control, "no-store");
  response.set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
  if (request.version() >= 11) {
    response.chunked(true);
  } else {
    response.keep_alive(false);
  }
  return response;
}

// The stream proper. Returns when the session is over (the close event
// written), or the client left, or a newer stream replaced this one. At
// server shutdown (`on_stop`, called by the connection) it ends with close
// 1001, after what the client already has coming, as a WebSocket client's
// session does.
template <typename Stream>
asio::awaitable<void> stream_events(Stream& stream, const RequestHead& request,
                                    SseSessionRef session, std::shared_ptr<SseStreamWaker> waker,
                                    ServerState& state, SseStopHook* on_stop) {
  http::response<http::empty_body> response = stream_head(request, state);
  const bool chunked = response.chunked();
  metrics::responded(200);
  error_code ec;
  beast::get_lowest_layer(stream).expires_after(limits::kSseWriteTimeout);
  http::response_serializer<http::empty_body> serializer{response};
  co_await http::async_write_header(stream, serializer,
                                    asio::redirect_error(asio::use_awaitable, ec));
  watch_for_departure(stream, waker);

  SseOutbox& outbox = session->outbox();
  auto stopping = std::make_shared<bool>(false);
  if (on_stop) {
    *on_stop = [&stream, waker, stopping] {
      *stopping = true;
      beast::get_lowest_layer(stream).expires_after(write_timeout(true));  // a write under way too
      waker->wake();
    };
  }
  const auto keep_alive = keep_alive_interval(state.config);
  bool lost = static_cast<bool>(ec);
  while (!lost) {
    waker->clear_wake();
    // The session says the same when its own stop comes first; whichever
    // does, the close event is published once.
    if (*stopping) outbox.publish_close(1001, "");
    SseOutbox::Batch batch = outbox.take(*waker);
    if (batch.replaced) break;
    if (!batch.bytes.empty()) {
      lost = static_cast<bool>(co_await write_piece(stream, chunked, batch.bytes, *stopping));
      if (lost) break;
    }
    if (batch.last) {
      if (chunked) {
        beast::get_lowest_layer(stream).expires_after(write_timeout(*stopping));
        co_await asio::async_write(stream, http::make_chunk_last(),
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    if (waker->client_left()) {
      lost = true;
      break;
    }
    const bool keep_alive_due = co_await waker->wait(keep_alive);
    if (waker->client_left()) {
      lost = true;
    } else if (keep_alive_due) {
      lost = static_cast<bool>(co_await write_piece(stream, chunked, kSseKeepAlive, *stopping));
    }
  }
  if (on_stop) *on_stop = nullptr;
  error_code ignored;  // ends the departure watch; the connection is done with
  beast::get_lowest_layer(stream).socket().cancel(ignored);
  if (lost && outbox.detach(*waker)) {
    SseSession* target = &*session;
    asio::post(target->executor(),
               [session = std::move(session)]() mutable { session->stream_lost(); });
  }
}

template <typename Stream>
asio::awaitable<bool> resume(Stream& stream, const RequestHead& request, std::string_view token,
                             const SseQuery& query, const PeerInfo& peer, ServerState& state,
                             SseStopHook* on_stop) {
  const std::string context = resume_context(request, peer, token);
  // Not in Beast's table of known fields: looked up by name.
  const auto header = request.find("Last-Event-ID");
  const std::optional<std::string_view> given =
      header != request.end() ? std::optional<std::string_view>(header->value())
                              : query.last_event_id;
  const std::optional<std::uint64_t> last_seen =
      given ? parse_event_id(*given) : std::optional<std::uint64_t>(0);
  if (!last_seen) {
    co_await sse_answer(stream, http::status::bad_request, request.version(), false, state,
                        context + " reason:'Last-Event-ID is not an event id'");
    co_return false;
  }
  SseSessionRef session = state.sse_sessions->find(token);
  auto waker = std::make_shared<SseStreamWaker>(stream.get_executor());
  if (!session || session->outbox().attach(waker, *last_seen) != SseOutbox::Attach::attached) {
    // Unknown, ended, or the events after last_seen are no longer held:
    // the client starts afresh.
    co_await sse_answer(stream, http::status::not_found, request.version(), false, state, context);
    co_return false;
  }
  log::write(LogLevel::access, "session", session->log_context(),
             "RESUME after event " + std::to_string(*last_seen));
  co_await stream_events(stream, request, std::move(session), std::move(waker), state, on_stop);
  co_return false;
}

}  // namespace

template <typename Stream>
asio::awaitable<bool> serve_sse_open(Stream& stream, const RequestHead& request,
                                     const ScriptTarget& target, const PeerInfo& peer,
                                     ServerState& state, Worker& worker, SseStopHook* on_stop) {
  const SseQuery query = parse_sse_query(request.target());
  if (query.token) {
    co_return co_await resume(stream, request, *query.token, query, peer, state, on_stop);
  }

  // A shared program holds its own slot, taken when it starts.
  const bool shared = state.config.shared_mode != SharedMode::off;
  auto slot = shared ? std::nullopt : ForkSlot::try_acquire(state);
  if (!shared && !slot) {  // as a refused upgrade is answered
    metrics::refused(RefusalReason::maxforks);
    co_await sse_answer(stream, http::status::too_many_requests, request.version(), false, state,
                        refusal_context(request, peer));
    co_return false;
  }
  // As for an upgrade, the program starts once its client's name is known.
  std::string remote_host = peer.remote_address;
  if (state.config.reverse_lookup && !shared) {
    remote_host =
        co_await lookup_remote_host(stream.get_executor(), peer.remote_address, peer.remote_port);
  }
  auto session = SseSession::start(session_start_for(request, target, peer, remote_host, state),
                                   std::move(slot), state, worker, stream.get_executor());
  auto waker = std::make_shared<SseStreamWaker>(stream.get_executor());
  session->outbox().attach(waker, std::nullopt);
  co_await stream_events(stream, request, SseSessionRef(std::move(session)), std::move(waker),
                         state, on_stop);
  co_return false;
}

template WSEXEC_SSE_OPEN_FOR(PlainStream);
template WSEXEC_SSE_OPEN_FOR(TlsStream);
template WSEXEC_SSE_OPEN_FOR(UnixStream);

}  // namespace wsexec
