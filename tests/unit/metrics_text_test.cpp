#include "core/metrics_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsexec {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(text.substr(start, end - start));
  }
  return lines;
}

TEST(MetricsText, AnEmptySnapshotStillNamesEveryFamilyWithZeroes) {
  const std::string text = render_metrics_text(MetricsSnapshot{});
  for (const char* line : {
           "# TYPE wsexec_sessions_live gauge",
           "wsexec_sessions_live{kind=\"websocket\"} 0",
           "wsexec_sessions_live{kind=\"cgi\"} 0",
           "wsexec_sessions_live{kind=\"static\"} 0",
           "# TYPE wsexec_sessions_total counter",
           "# TYPE wsexec_session_duration_seconds histogram",
           "wsexec_programs_live 0",
           "wsexec_spawns_total 0",
           "wsexec_spawn_failures_total 0",
           "# TYPE wsexec_spawn_duration_seconds histogram",
           "wsexec_spawn_duration_seconds_count 0",
           "wsexec_messages_total{direction=\"to_program\"} 0",
           "wsexec_message_bytes_total{direction=\"to_client\"} 0",
           "# TYPE wsexec_http_responses_total counter",
           "wsexec_refusals_total{reason=\"origin\"} 0",
           "wsexec_refusals_total{reason=\"maxforks\"} 0",
           "wsexec_refusals_total{reason=\"size\"} 0",
           "wsexec_refusals_total{reason=\"head_timeout\"} 0",
           "wsexec_tls_handshake_failures_total 0",
       }) {
    EXPECT_TRUE(has_line(text, line)) << "missing: " << line << "\n" << text;
  }
  EXPECT_EQ(text.find("process_open_fds"), std::string::npos) << "absent /proc facts are left out";
}

TEST(MetricsText, LiveSessionsAreStartedLessEnded) {
  MetricsSnapshot s;
  s.sessions_started = {5, 2, 7};
  s.sessions_ended = {3, 2, 9};  // a scrape may read an end before its start
  const std::string text = render_metrics_text(s);
  EXPECT_TRUE(has_line(text, "wsexec_sessions_live{kind=\"websocket\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_sessions_live{kind=\"cgi\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_sessions_live{kind=\"static\"} 0")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_sessions_total{kind=\"websocket\"} 5")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_sessions_total{kind=\"static\"} 7")) << text;
}

TEST(MetricsText, HistogramBucketsAreCumulativeAndEndInInf) {
  MetricsSnapshot s;
  s.spawn_seconds.buckets[0] = 1;                          // <= 0.0001
  s.spawn_seconds.buckets[1] = 2;                          // <= 0.00025
  s.spawn_seconds.buckets[kSpawnBucketBounds.size()] = 4;  // above every bound
  s.spawn_seconds.sum_seconds = 9.5;
  const std::string text = render_metrics_text(s);
  EXPECT_TRUE(has_line(text, "wsexec_spawn_duration_seconds_bucket{le=\"0.0001\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_spawn_duration_seconds_bucket{le=\"0.00025\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_spawn_duration_seconds_bucket{le=\"1\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_spawn_duration_seconds_bucket{le=\"+Inf\"} 7")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_spawn_duration_seconds_sum 9.5")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_spawn_duration_seconds_count 7")) << text;
}

TEST(MetricsText, SessionHistogramsCarryTheirKindBeforeLe) {
  MetricsSnapshot s;
  s.session_seconds[static_cast<std::size_t>(SessionKind::cgi)].buckets[2] = 3;
  const std::string text = render_metrics_text(s);
  EXPECT_TRUE(has_line(text, "wsexec_session_duration_seconds_bucket{kind=\"cgi\",le=\"1\"} 3"))
      << text;
  EXPECT_TRUE(has_line(text, "wsexec_session_duration_seconds_count{kind=\"cgi\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_session_duration_seconds_count{kind=\"websocket\"} 0"))
      << text;
}

TEST(MetricsText, ResponsesAreListedByStatusAndProcessFactsWhenKnown) {
  MetricsSnapshot s;
  s.responses_by_status = {{101, 3}, {403, 1}};
  s.open_descriptors = 12;
  s.resident_bytes = 4096;
  s.max_descriptors = 1024;
  s.refusals[static_cast<std::size_t>(RefusalReason::maxforks)] = 2;
  const std::string text = render_metrics_text(s);
  EXPECT_TRUE(has_line(text, "wsexec_http_responses_total{code=\"101\"} 3")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_http_responses_total{code=\"403\"} 1")) << text;
  EXPECT_TRUE(has_line(text, "wsexec_refusals_total{reason=\"maxforks\"} 2")) << text;
  EXPECT_TRUE(has_line(text, "process_open_fds 12")) << text;
  EXPECT_TRUE(has_line(text, "process_resident_memory_bytes 4096")) << text;
  EXPECT_TRUE(has_line(text, "process_max_fds 1024")) << text;
}

TEST(MetricsText, EveryFamilyHasHelpThenTypeOnceBeforeItsSamples) {
  MetricsSnapshot s;
  s.open_descriptors = 1;
  s.max_descriptors = 1;
  s.resident_bytes = 1;
  std::vector<std::string> families;
  std::string expecting_type;
  for (const auto& line : lines_of(render_metrics_text(s))) {
    ASSERT_FALSE(line.empty());
    if (line.starts_with("# HELP ")) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      for (const auto& seen : families) ASSERT_NE(seen, name) << "two HELP lines for " << name;
      families.push_back(name);
      expecting_type = "# TYPE " + name + " ";
    } else if (!expecting_type.empty()) {
      ASSERT_TRUE(line.starts_with(expecting_type)) << line;
      expecting_type.clear();
    } else {
      ASSERT_FALSE(families.empty());
      ASSERT_TRUE(line.starts_with(families.back())) << line << " outside its family";
    }
  }
  EXPECT_EQ(families.size(), 15u);
}

TEST(MetricsBuckets, AnObservationGoesToTheFirstBoundItDoesNotExceed) {
  EXPECT_EQ(spawn_bucket_for(0.00005), 0u);
  EXPECT_EQ(spawn_bucket_for(0.0001), 0u);
  EXPECT_EQ(spawn_bucket_for(0.0002), 1u);
  EXPECT_EQ(spawn_bucket_for(5.0), kSpawnBucketBounds.size());
  EXPECT_EQ(session_bucket_for(0.5), 2u);
  EXPECT_EQ(session_bucket_for(1e9), kSessionBucketBounds.size());
}

TEST(MetricsPages, MetricsAndHealthByGetOrHead) {
  EXPECT_EQ(choose_metrics_page("GET", "/metrics"), MetricsPage::metrics);
  EXPECT_EQ(choose_metrics_page("HEAD", "/metrics"), MetricsPage::metrics);
  EXPECT_EQ(choose_metrics_page("GET", "/metrics?x=1"), MetricsPage::metrics);
  EXPECT_EQ(choose_metrics_page("GET", "/healthz"), MetricsPage::health);
}

TEST(MetricsPages, OtherPathsAre404AndOtherMethods405) {
  EXPECT_EQ(choose_metrics_page("GET", "/"), MetricsPage::not_found);
  EXPECT_EQ(choose_metrics_page("GET", "/metrics/"), MetricsPage::not_found);
  EXPECT_EQ(choose_metrics_page("POST", "/nope"), MetricsPage::not_found);
  EXPECT_EQ(choose_metrics_page("POST", "/metrics"), MetricsPage::method_not_allowed);
  EXPECT_EQ(choose_metrics_page("DELETE", "/healthz"), MetricsPage::method_not_allowed);
}

}  // namespace
}  // namespace wsexec
