#pragma once
// Resume for WebSocket clients (docs/sse-protocol.md, "WebSocket resume"):
// which upgrades get a resumable session. Pure.
#include <optional>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace wsexec {

// The subprotocol of the client library (/.wsexec/client.js): the first
// message is the session's JSON, the program's messages follow, counted
// 1, 2, 3... by the client.
inline constexpr std::string_view kResumeSubprotocol = "wsexec.v1";

// True when this upgrade is served as a resumable session: the client
// offers wsexec.v1 and the server keeps sessions (--sse with --resumems)
// and runs a program per connection (not --shared).
// `offered` holds every Sec-WebSocket-Protocol header's value. Any other
// client gets the plain WebSocket session, as if wsexec.v1 did not exist.
bool wants_resumable_websocket(const Config& config, const std::vector<std::string_view>& offered);

}  // namespace wsexec
