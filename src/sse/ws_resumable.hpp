#pragma once
// Resume for WebSocket clients: a client that offers the subprotocol
// wsexec.v1 to a server with --sse and --resumems gets the same resumable
// session an event stream gets (SseSession: its program, outbox and event
// log), with the WebSocket as one more kind of stream attached to it
// (docs/sse-protocol.md, "WebSocket resume"). Beast is in this header:
// include it only in http_session.cpp and src/sse.
#include <boost/asio/awaitable.hpp>

#include "http/connection_info.hpp"
#include "server/connection_streams.hpp"
#include "server/server_state.hpp"
#include "server/worker.hpp"

namespace wsexec {

// Whether this upgrade the router allowed is served here (core/ws_resume).
bool is_resumable_upgrade(const RequestHead& request, const Config& config);

// Opens a session (or, with ?wsexec_session=T&wsexec_last_event_id=N,
// re-attaches to one: 404 before the upgrade when it cannot), upgrades, and
// relays until the session ends, the client leaves or a newer stream
// replaces this one. The connection is not reused afterwards.
template <typename Stream>
boost::asio::awaitable<void> serve_resumable_websocket(Stream& stream, const RequestHead& request,
                                                       const ScriptTarget& target,
                                                       const PeerInfo& peer, ServerState& state,
                                                       Worker& worker);

#define WSEXEC_RESUMABLE_WS_FOR(Stream)                   \
  boost::asio::awaitable<void> serve_resumable_websocket( \
      Stream&, const RequestHead&, const ScriptTarget&, const PeerInfo&, ServerState&, Worker&)
extern template WSEXEC_RESUMABLE_WS_FOR(PlainStream);
extern template WSEXEC_RESUMABLE_WS_FOR(TlsStream);
extern template WSEXEC_RESUMABLE_WS_FOR(UnixStream);

}  // namespace wsexec
