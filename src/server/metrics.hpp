#pragma once
// The counters behind --metrics, and the one-line hooks that count.
//
// Counting must cost the hot path nothing measurable, so no counter is
// shared between threads: each thread that counts (a worker, a spawner
// thread) owns a block of relaxed atomics that only it writes, with a
// plain load and store (no locked read-modify-write, no cache line bouncing
// between cores). A scrape reads every block and sums them
// (metrics::collect). Blocks are never freed: there is one per thread that
// ever counted, and the threads are a fixed few.
//
// The hooks count whether or not --metrics is given: a load and a store
// in a line the thread already owns is cheaper than the branch to skip it.
#include <chrono>
#include <cstddef>

#include "core/metrics_text.hpp"

namespace wsexec::metrics {

// Counts one session of `kind` for as long as it lives: started when
// constructed, ended (with its length in the histogram) when destroyed.
class SessionMeter {
 public:
  explicit SessionMeter(SessionKind kind);
  ~SessionMeter();
  SessionMeter(const SessionMeter&) = delete;
  SessionMeter& operator=(const SessionMeter&) = delete;

 private:
  SessionKind kind_;
  std::chrono::steady_clock::time_point started_;
};

// A program start that took `took`; `succeeded` false when it could not be
// started.
void spawned(std::chrono::steady_clock::duration took, bool succeeded);
// A WebSocket message, `bytes` of payload, from the client to its program.
void message_to_program(std::size_t bytes);
// A WebSocket message from the program to its client.
void message_to_client(std::size_t bytes);
// An HTTP response with this status (101 for an accepted upgrade).
void responded(unsigned status);
void refused(RefusalReason reason);
void tls_handshake_failed();

// Sums every thread's counters, and reads the process's descriptors and
// resident memory from /proc/self. `live_programs` is ServerState's
// --maxforks count.
MetricsSnapshot collect(unsigned live_programs);

}  // namespace wsexec::metrics
