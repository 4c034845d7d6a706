#pragma once
// What --metrics reports, as plain values, and its rendering in the
// Prometheus text exposition format (version 0.0.4). Pure: the server sums
// its per-thread counters into a MetricsSnapshot when scraped
// (server/metrics.cpp); everything about names, labels, HELP lines and
// cumulative buckets is decided here, where a unit test can see it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace wsexec {

enum class SessionKind { websocket, cgi, static_file };
inline constexpr std::size_t kSessionKinds = 3;

// Why a request was turned away before it was served.
enum class RefusalReason {
  origin,        // --origin / --sameorigin (403)
  maxforks,      // no --maxforks slot (429)
  size,          // request head or CGI body over its limit (431, 413)
  head_timeout,  // no complete request head in time
};
inline constexpr std::size_t kRefusalReasons = 4;

// Upper bounds of the histogram buckets, in seconds. Spawns take 0.1 to
// 0.3 ms here (docs/architecture.md), so the spawn buckets start below
// that and stretch to the seconds a loaded machine can take; sessions last
// from a CGI request's milliseconds to a terminal's hours.
inline constexpr std::array kSpawnBucketBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                  0.005,  0.01,    0.025,  0.1,   1.0};
inline constexpr std::array kSessionBucketBounds = {0.01, 0.1,   1.0,    10.0,
                                                    60.0, 600.0, 3600.0, 86400.0};

// A histogram as counted: one count per bucket (not cumulative), the last
// one for observations above every bound.
template <std::size_t Bounds>
struct HistogramCounts {
  std::array<std::uint64_t, Bounds + 1> buckets{};
  double sum_seconds = 0;
};
using SpawnHistogram = HistogramCounts<kSpawnBucketBounds.size()>;
using SessionHistogram = HistogramCounts<kSessionBucketBounds.size()>;

// Where an observation of `seconds` is counted: the first bucket whose
// bound it does not exceed, else the overflow bucket.
std::size_t spawn_bucket_for(double seconds);
std::size_t session_bucket_for(double seconds);

struct MetricsSnapshot {
  std::array<std::uint64_t, kSessionKinds> sessions_started{};
  std::array<std::uint64_t, kSessionKinds> sessions_ended{};
  std::array<SessionHistogram, kSessionKinds> session_seconds{};
  std::uint64_t live_programs = 0;
  std::uint64_t spawns = 0;  // successful and failed
  std::uint64_t spawn_failures = 0;
  SpawnHistogram spawn_seconds;
  std::uint64_t messages_to_program = 0;
  std::uint64_t bytes_to_program = 0;
  std::uint64_t messages_to_client = 0;
  std::uint64_t bytes_to_client = 0;
  std::map<unsigned, std::uint64_t> responses_by_status;  // HTTP status -> count
  std::array<std::uint64_t, kRefusalReasons> refusals{};
  std::uint64_t tls_handshake_failures = 0;
  // From /proc/self; absent when it cannot be read (left out of the text).
  std::optional<std::uint64_t> open_descriptors;
  std::optional<std::uint64_t> max_descriptors;  // the soft RLIMIT_NOFILE
  std::optional<std::uint64_t> resident_bytes;
};

std::string_view session_kind_label(SessionKind kind);
std::string_view refusal_reason_label(RefusalReason reason);

// The snapshot as a Prometheus text page: every family with HELP and TYPE,
// counters named *_total, cumulative histogram buckets with le="+Inf".
std::string render_metrics_text(const MetricsSnapshot& snapshot);

// What the metrics listener does with a request line.
enum class MetricsPage { metrics, health, not_found, method_not_allowed };
// GET and HEAD of /metrics and /healthz (a query string is ignored, as
// Prometheus may add one); other paths 404, other methods 405.
MetricsPage choose_metrics_page(std::string_view method, std::string_view target);

}  // namespace wsexec
