#pragma once
// The options of a WebSocket session added in this phase, read from the
// stored options into Config: session timeouts (--idlems, --lifetimems),
// negotiation (--compress, --subprotocol), terminals (--unbuffered, --pty)
// and shared programs (--shared, --sharedidlems, --sendqueue). Apart from
// config.cpp, which keeps the command line's parsing and websocketd's
// options, so that neither file grows past what one reader takes in.

#include "core/config.hpp"
#include "core/option_values.hpp"

namespace wsexec {

void read_session_timeouts(const StoredOptions& options, Config& config);
void read_websocket_negotiation(const StoredOptions& options, Config& config);
void read_terminal(const StoredOptions& options, Config& config);
void read_shared(const StoredOptions& options, Config& config);

}  // namespace wsexec
