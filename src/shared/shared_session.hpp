#pragma once
// The WebSocket side of a client of a shared program (--shared): the
// handshake, the client's messages on their way to the program, and the
// program's output on its way to the client through a bounded send queue.
// Beast is in this header: only http_session.cpp and shared_session.cpp
// include it.
#include "http/connection_info.hpp"
#include "server/connection_streams.hpp"
#include "server/server_state.hpp"
#include "server/worker.hpp"

namespace wsexec {

// Takes over a connection whose upgrade request passed the origin policy.
// No --maxforks slot is taken here: the program takes one when it starts.
template <typename Stream>
void start_shared_session(Stream stream, RequestHead request, PeerInfo peer, ScriptTarget target,
                          ServerState& state, Worker& worker);

extern template void start_shared_session(PlainStream, RequestHead, PeerInfo, ScriptTarget,
                                          ServerState&, Worker&);
extern template void start_shared_session(TlsStream, RequestHead, PeerInfo, ScriptTarget,
                                          ServerState&, Worker&);
extern template void start_shared_session(UnixStream, RequestHead, PeerInfo, ScriptTarget,
                                          ServerState&, Worker&);

}  // namespace wsexec
