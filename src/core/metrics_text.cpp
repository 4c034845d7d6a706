#include "core/metrics_text.hpp"

#include <algorithm>
#include <charconv>

namespace wsexec {
namespace {

constexpr std::array<SessionKind, kSessionKinds> kAllSessionKinds = {
    SessionKind::websocket, SessionKind::cgi, SessionKind::static_file};
constexpr std::array<RefusalReason, kRefusalReasons> kAllRefusalReasons = {
    RefusalReason::origin, RefusalReason::maxforks, RefusalReason::size,
    RefusalReason::head_timeout};

template <std::size_t N>
std::size_t bucket_for(const std::array<double, N>& bounds, double seconds) {
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) -
                                  bounds.begin());
}

// The shortest fixed-point text that reads back as the same double:
// "0.0001", not "1e-04", so a bucket's le label reads as its bound.
std::string number_text(double value) {
  char text[400];  // fixed notation of the largest double is 309 digits
  const auto result = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
  return std::string(text, result.ptr);
}

// Writes the families one line at a time; a family's HELP and TYPE come
// once, before its first sample, as the format requires.
class Page {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += help;
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
  }

  // `labels` is empty or `key="value",...` (our label values are fixed
  // words and numbers: nothing to escape).
  void sample(std::string_view name, std::string_view labels, std::string_view value) {
    text_ += name;
    if (!labels.empty()) {
      text_ += '{';
      text_ += labels;
      text_ += '}';
    }
    text_ += ' ';
    text_ += value;
    text_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    sample(name, labels, std::to_string(value));
  }

  template <std::size_t N>
  void histogram(std::string_view name, const std::string& labels,
                 const std::array<double, N>& bounds, const HistogramCounts<N>& counts) {
    const std::string prefix = labels.empty() ? "" : labels + ",";
    const std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < N; ++i) {
      cumulative += counts.buckets[i];
      sample(bucket, prefix + "le=\"" + number_text(bounds[i]) + "\"", cumulative);
    }
    cumulative += counts.buckets[N];
    sample(bucket, prefix + "le=\"+Inf\"", cumulative);
    sample(std::string(name) + "_sum", labels, number_text(counts.sum_seconds));
    sample(std::string(name) + "_count", labels, cumulative);
  }

  std::string take() { return std::move(text_); }

 private:
  std::string text_;
};

std::string kind_label(SessionKind kind) {
  return "kind=\"" + std::string(session_kind_label(kind)) + "\"";
}

void render_sessions(const MetricsSnapshot& s, Page& page) {
  page.family("wsexec_sessions_live", "gauge",
              "Sessions open now: WebSocket connections with their program, CGI requests, "
              "static files being sent.");
  for (const auto kind : kAllSessionKinds) {
    const auto i = static_cast<std::size_t>(kind);
    // Started and ended are counted on different threads' counters and read
    // one after the other, so a scrape may see an end before its start.
    const std::uint64_t live = s.sessions_started[i] > s.sessions_ended[i]
                                   ? s.sessions_started[i] - s.sessions_ended[i]
                                   : 0;
    page.sample("wsexec_sessions_live", kind_label(kind), live);
  }
  page.family("wsexec_sessions_total", "counter", "Sessions started since the server started.");
  for (const auto kind : kAllSessionKinds) {
    page.sample("wsexec_sessions_total", kind_label(kind),
                s.sessions_started[static_cast<std::size_t>(kind)]);
  }
  page.family("wsexec_session_duration_seconds", "histogram",
              "How long sessions lasted, from start to end.");
  for (const auto kind : kAllSessionKinds) {
    page.histogram("wsexec_session_duration_seconds", kind_label(kind), kSessionBucketBounds,
                   s.session_seconds[static_cast<std::size_t>(kind)]);
  }
}

void render_programs(const MetricsSnapshot& s, Page& page) {
  page.family("wsexec_programs_live", "gauge",
              "Programs running or not yet reaped (what --maxforks counts).");
  page.sample("wsexec_programs_live", "", s.live_programs);
  page.family("wsexec_spawns_total", "counter", "Programs the server tried to start.");
  page.sample("wsexec_spawns_total", "", s.spawns);
  page.family("wsexec_spawn_failures_total", "counter",
              "Programs that could not be started (exec failed, no resources).");
  page.sample("wsexec_spawn_failures_total", "", s.spawn_failures);
  page.family("wsexec_spawn_duration_seconds", "histogram",
              "Time to start a program, until it has exec'd or failed.");
  page.histogram("wsexec_spawn_duration_seconds", "", kSpawnBucketBounds, s.spawn_seconds);
}

void render_traffic(const MetricsSnapshot& s, Page& page) {
  page.family("wsexec_messages_total", "counter",
              "WebSocket messages relayed: client to program (to_program) and program to "
              "client (to_client).");
  page.sample("wsexec_messages_total", "direction=\"to_program\"", s.messages_to_program);
  page.sample("wsexec_messages_total", "direction=\"to_client\"", s.messages_to_client);
  page.family("wsexec_message_bytes_total", "counter",
              "Payload bytes of those messages (without the line breaks of line mode).");
  page.sample("wsexec_message_bytes_total", "direction=\"to_program\"", s.bytes_to_program);
  page.sample("wsexec_message_bytes_total", "direction=\"to_client\"", s.bytes_to_client);
}

void render_http(const MetricsSnapshot& s, Page& page) {
  page.family("wsexec_http_responses_total", "counter",
              "HTTP responses sent, by status (101 for each accepted WebSocket upgrade).");
  for (const auto& [status, count] : s.responses_by_status) {
    page.sample("wsexec_http_responses_total", "code=\"" + std::to_string(status) + "\"", count);
  }
  page.family("wsexec_refusals_total", "counter",
              "Requests turned away, by reason: origin (403), maxforks (429), size (431, 413), "
              "head_timeout (no complete request head in time).");
  for (const auto reason : kAllRefusalReasons) {
    page.sample("wsexec_refusals_total",
                "reason=\"" + std::string(refusal_reason_label(reason)) + "\"",
                s.refusals[static_cast<std::size_t>(reason)]);
  }
  page.family("wsexec_tls_handshake_failures_total", "counter",
              "TLS handshakes that failed or timed out.");
  page.sample("wsexec_tls_handshake_failures_total", "", s.tls_handshake_failures);
}

void render_process(const MetricsSnapshot& s, Page& page) {
  if (s.open_descriptors) {
    page.family("process_open_fds", "gauge", "Open file descriptors of the server process.");
    page.sample("process_open_fds", "", *s.open_descriptors);
  }
  if (s.max_descriptors) {
    page.family("process_max_fds", "gauge",
                "The server's descriptor limit (soft RLIMIT_NOFILE, as raised at start-up).");
    page.sample("process_max_fds", "", *s.max_descriptors);
  }
  if (s.resident_bytes) {
    page.family("process_resident_memory_bytes", "gauge",
                "Resident memory of the server process, in bytes.");
    page.sample("process_resident_memory_bytes", "", *s.resident_bytes);
  }
}

}  // namespace

std::size_t spawn_bucket_for(double seconds) {
  return bucket_for(kSpawnBucketBounds, seconds);
}

std::size_t session_bucket_for(double seconds) {
  return bucket_for(kSessionBucketBounds, seconds);
}

std::string_view session_kind_label(SessionKind kind) {
  switch (kind) {
    case SessionKind::websocket:
      return "websocket";
    case SessionKind::cgi:
      return "cgi";
    case SessionKind::static_file:
      return "static";
  }
  return "unknown";
}

std::string_view refusal_reason_label(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::origin:
      return "origin";
    case RefusalReason::maxforks:
      return "maxforks";
    case RefusalReason::size:
      return "size";
    case RefusalReason::head_timeout:
      return "head_timeout";
  }
  return "unknown";
}

std::string render_metrics_text(const MetricsSnapshot& snapshot) {
  Page page;
  render_sessions(snapshot, page);
  render_programs(snapshot, page);
  render_traffic(snapshot, page);
  render_http(snapshot, page);
  render_process(snapshot, page);
  return page.take();
}

MetricsPage choose_metrics_page(std::string_view method, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics" && path != "/healthz") return MetricsPage::not_found;
  if (method != "GET" && method != "HEAD") return MetricsPage::method_not_allowed;
  return path == "/metrics" ? MetricsPage::metrics : MetricsPage::health;
}

}  // namespace wsexec
