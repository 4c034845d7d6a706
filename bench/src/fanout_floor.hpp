// The least a server must do to send one line to every client of a shared
// program, measured without any server: one send() per client socket.
#pragma once

#include "common.hpp"

namespace bench {

// --conns loopback TCP connections made in this process (both ends, so
// 2 x conns descriptors), then --rounds times: a WebSocket text frame of
// --size payload bytes sent once on each server end (timed: this is the
// floor of a shared fan-out on this machine, the loopback's receive path
// included), then read once on each client end (timed apart: what the
// clients' side costs). Medians over the rounds, and per socket.
Result run_limit_fanout_send(const Options& options);

}  // namespace bench
