// What no server can avoid, measured without any server: the rate of
// spawn + pipes + one echo + reap of a child, and the bandwidth through a
// child's two pipes (stdin -> cat -> stdout).
#pragma once

#include "common.hpp"

namespace bench {

// --command (default /bin/cat), --seconds, --threads (parallel loops),
// --reap-later (stdin closed and child reaped by another thread: spawn +
// echo alone, the critical path of a connection), --open-fds N (spawn
// with N more descriptors open, as a server with N/5 connections does).
Result run_limit_spawn(const Options& options);
// --size (bytes per write), --seconds, --warmup.
Result run_limit_pipe(const Options& options);
// A line of --size bytes written into cat and read back, --count times:
// the latency a server adds to a round trip by having a child at all.
Result run_limit_pipe_rtt(const Options& options);

}  // namespace bench
