#pragma once
// The HTTP side of the SSE transport: the event stream a GET opens (or
// resumes) and the POSTs that carry client messages. http_session hands a
// request here once core/sse_protocol says it is ours and the router
// allowed it as it would an upgrade (origin policy, --dir). Beast is in
// this header: include it only in src/http and src/sse.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <functional>
#include <string>

#include "core/sse_protocol.hpp"
#include "http/connection_info.hpp"
#include "server/connection_streams.hpp"
#include "server/server_state.hpp"
#include "server/worker.hpp"

namespace wsexec {

using SseHeadParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// Server shutdown while an event stream runs: the connection's stop() calls
// this instead of closing its socket, so the stream sends its close event
// (1001) first. serve_sse_open sets it for the time its stream runs.
using SseStopHook = std::function<void()>;

// Never ours without --sse.
SseRequestKind sse_request_kind(const RequestHead& request, const Config& config);

// Streams events until the session ends, the client leaves, another
// stream replaces this one or the server stops. Returns false: the
// connection is not reused.
template <typename Stream>
boost::asio::awaitable<bool> serve_sse_open(Stream& stream, const RequestHead& request,
                                            const ScriptTarget& target, const PeerInfo& peer,
                                            ServerState& state, Worker& worker,
                                            SseStopHook* on_stop = nullptr);

// Reads the body and delivers it. Returns whether the connection may
// serve another request.
template <typename Stream>
boost::asio::awaitable<bool> serve_sse_post(Stream& stream, boost::beast::flat_buffer& buffer,
                                            SseHeadParser& parser, const PeerInfo& peer,
                                            ServerState& state);

#define WSEXEC_SSE_OPEN_FOR(Stream)                                                             \
  boost::asio::awaitable<bool> serve_sse_open(Stream&, const RequestHead&, const ScriptTarget&, \
                                              const PeerInfo&, ServerState&, Worker&,           \
                                              SseStopHook*)
#define WSEXEC_SSE_POST_FOR(Stream)                                                                \
  boost::asio::awaitable<bool> serve_sse_post(Stream&, boost::beast::flat_buffer&, SseHeadParser&, \
                                              const PeerInfo&, ServerState&)
extern template WSEXEC_SSE_OPEN_FOR(PlainStream);
extern template WSEXEC_SSE_OPEN_FOR(TlsStream);
extern template WSEXEC_SSE_OPEN_FOR(UnixStream);
extern template WSEXEC_SSE_POST_FOR(PlainStream);
extern template WSEXEC_SSE_POST_FOR(TlsStream);
extern template WSEXEC_SSE_POST_FOR(UnixStream);

}  // namespace wsexec
