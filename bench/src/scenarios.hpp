// The load scenarios. Each runs against one server (a Target) and returns
// one Result. Options common to all: --port, --path, --stall SECONDS (no
// progress for that long is reported as a stall), --server-pid PID (where
// the scenario samples the server's memory and descriptors).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "common.hpp"
#include "ws_client.hpp"

namespace bench {

// Runs `body` on a fresh single-threaded io_context until everything it
// started has ended; an escaping exception marks the result as failed. The
// frame of every scenario (shared_scenarios.cpp's too).
Result run_on_loop(const std::string& name,
                   const std::function<boost::asio::awaitable<void>(Result&)>& body);

// 1 connection, --count sequential round trips of --size bytes (after
// --warmup more); p50, p90, p99, max in microseconds.
Result run_latency(const Options& options, const Target& target);
// --conns connections, --size-byte messages pipelined with at most
// --window bytes in flight per connection, for --seconds after --warmup;
// messages/s and MB/s. `binary` sends binary messages (binary mode
// servers echo them in chunks: bytes are counted, not messages).
Result run_pipelined(const std::string& name, const Options& options, const Target& target,
                     bool binary);
// Serial connect, one echo, close, for --seconds; connections/s.
Result run_churn(const Options& options, const Target& target);
// --conns concurrent connects with one echo each; time until all echoed.
Result run_storm(const Options& options, const Target& target);
// --conns idle connections held --seconds; server RSS, descriptors and
// children's PSS per connection, then every connection must echo again.
Result run_hold(const Options& options, const Target& target);
// --messages of --size bytes flooded at a child that reads slowly; the
// server's RSS is sampled; every message must come back, in order.
Result run_slow(const Options& options, const Target& target);

}  // namespace bench
