// Scenarios for shared programs (wsexec --shared, docs/shared.md). Each
// runs against a server already started with --shared and the program the
// scenario names; see docs/performance.md, "Shared programs".
#pragma once

#include "common.hpp"
#include "ws_client.hpp"

namespace bench {

// --conns clients on one shared `cat`; client 0 sends --messages lines,
// one every --interval-ms (for at least --seconds), each stamped with the
// time it was sent; every client must receive every line. Delivery
// latency p50/p99/max (ms) over all clients and lines, and the server's
// RSS and descriptors per idle client (--server-pid). --threads N spreads
// the clients over N threads, each with its own io_context (client 0 on
// the sending one), so that reading is not what the p99 measures.
Result run_shared_fanout(const Options& options, const Target& target);
// --conns clients on a shared program that prints as fast as it can (e.g.
// `yes`); messages received in total per second over --seconds, and how
// many clients were closed (1008: too slow for --sendqueue).
Result run_shared_broadcast(const Options& options, const Target& target);

}  // namespace bench
