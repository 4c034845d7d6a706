#pragma once
// The WebSocket half of a connection: completes the upgrade, starts the
// child, relays both ways and ends both sides cleanly. Beast is in this
// header, so only http_session.cpp and ws_session.cpp include it.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <string>
#include <vector>

#include "http/connection_info.hpp"
#include "server/connection_streams.hpp"
#include "server/server_state.hpp"
#include "server/worker.hpp"

namespace wsexec {

using UpgradeRequest = RequestHead;

// Takes over a connection whose upgrade request passed the origin policy
// and holds a --maxforks slot. Runs on the stream's worker until both the
// client and the child are gone.
template <typename Stream>
void start_ws_session(Stream stream, UpgradeRequest request, PeerInfo peer, ScriptTarget target,
                      ForkSlot slot, ServerState& state, Worker& worker);

extern template void start_ws_session(PlainStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                                      ServerState&, Worker&);
extern template void start_ws_session(TlsStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                                      ServerState&, Worker&);
extern template void start_ws_session(UnixStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                                      ServerState&, Worker&);

}  // namespace wsexec
