// --metrics (issue 15, item 5): the Prometheus page after a known sequence of
// sessions, promtool's verdict on it, /healthz before and during shutdown,
// and the listener's answers and errors.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <string>

#include "harness.hpp"
#include "http_request.hpp"
#include "test_pki.hpp"

namespace wsexec_test {
namespace {

// "name{labels} value" -> value, for every sample of a scrape.
std::map<std::string, double> samples_of(const std::string& page) {
  std::map<std::string, double> samples;
  for (const auto& line : split_lines(page)) {
    if (line.empty() || line.starts_with('#')) continue;
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return samples;
}

struct MetricsServer {
  std::uint16_t metrics_port = free_port();
  std::optional<ServerProcess> server;

  explicit MetricsServer(std::vector<std::string> args) {
    args.insert(args.begin(), "--metrics=" + std::to_string(metrics_port));
    server.emplace(std::move(args));
  }

  PlainHttpResponse get(const std::string& target) const { return plain_get(metrics_port, target); }

  std::map<std::string, double> scrape() const {
    const auto response = get("/metrics");
    EXPECT_EQ(response.status, 200) << response.describe();
    return samples_of(response.body);
  }
};

std::string promtool_path() {
  for (const char* path : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (std::ifstream(path).good()) return path;
  }
  return {};
}

TEST(Metrics, AKnownSequenceOfSessionsGivesKnownCounts) {
  TempDir cgi;
  cgi.write_script("hello.cgi", "printf 'Content-Type: text/plain\\r\\n\\r\\nhi\\n'\n");
  MetricsServer metrics({"--cgidir=" + cgi.path(), "--origin=good.example", "cat"});
  ServerProcess& server = *metrics.server;

  // Three WebSocket sessions, each two messages of 5 bytes each way.
  for (int session = 0; session < 3; ++session) {
    ConnectOptions options = client_options(server);
    options.headers = {{"Origin", "http://good.example"}};
    auto client = WsClient::connect(options);
    for (const std::string message : {"one-1", "two-2"}) {
      ASSERT_TRUE(client->send_text(message));
      ASSERT_TRUE(IsText(client->read(5s), message));
    }
    ASSERT_TRUE(client->close());
  }
  // One CGI request, one upgrade refused for its origin.
  const auto cgi_response = plain_get(server.port(), "/hello.cgi");
  ASSERT_EQ(cgi_response.status, 200) << cgi_response.describe();
  ConnectOptions refused = client_options(server);
  refused.headers = {{"Origin", "http://evil.example"}};
  ASSERT_EQ(WsClient::handshake(refused).http_status, 403);

  // Sessions end (and their meters stop) just after their last byte.
  std::map<std::string, double> m;
  ASSERT_TRUE(wait_until(
      [&] {
        m = metrics.scrape();
        return m["wsexec_sessions_live{kind=\"websocket\"}"] == 0 &&
               m["wsexec_sessions_live{kind=\"cgi\"}"] == 0 && m["wsexec_programs_live"] == 0;
      },
      5000ms))
      << server.diagnostics();

  EXPECT_EQ(m["wsexec_sessions_total{kind=\"websocket\"}"], 3);
  EXPECT_EQ(m["wsexec_sessions_total{kind=\"cgi\"}"], 1);
  EXPECT_EQ(m["wsexec_sessions_total{kind=\"static\"}"], 0);
  EXPECT_EQ(m["wsexec_session_duration_seconds_count{kind=\"websocket\"}"], 3);
  EXPECT_EQ(m["wsexec_session_duration_seconds_bucket{kind=\"websocket\",le=\"+Inf\"}"], 3);
  EXPECT_EQ(m["wsexec_session_duration_seconds_count{kind=\"cgi\"}"], 1);
  EXPECT_GT(m["wsexec_session_duration_seconds_sum{kind=\"websocket\"}"], 0);
  EXPECT_EQ(m["wsexec_spawns_total"], 4);
  EXPECT_EQ(m["wsexec_spawn_failures_total"], 0);
  EXPECT_EQ(m["wsexec_spawn_duration_seconds_count"], 4);
  EXPECT_EQ(m["wsexec_messages_total{direction=\"to_program\"}"], 6);
  EXPECT_EQ(m["wsexec_messages_total{direction=\"to_client\"}"], 6);
  EXPECT_EQ(m["wsexec_message_bytes_total{direction=\"to_program\"}"], 30);
  EXPECT_EQ(m["wsexec_message_bytes_total{direction=\"to_client\"}"], 30);
  EXPECT_EQ(m["wsexec_http_responses_total{code=\"101\"}"], 3);
  EXPECT_EQ(m["wsexec_http_responses_total{code=\"200\"}"], 1);
  EXPECT_EQ(m["wsexec_http_responses_total{code=\"403\"}"], 1);
  EXPECT_EQ(m["wsexec_refusals_total{reason=\"origin\"}"], 1);
  EXPECT_EQ(m["wsexec_refusals_total{reason=\"maxforks\"}"], 0);
  EXPECT_EQ(m["wsexec_tls_handshake_failures_total"], 0);
  // The process facts match what /proc says of the server, within the
  // descriptors a scrape itself holds.
  EXPECT_NEAR(m["process_open_fds"], open_descriptor_count(server.pid()), 3);
  EXPECT_GT(m["process_resident_memory_bytes"], 1024 * 1024);
}

TEST(Metrics, RefusalsAreCountedByReason) {
  MetricsServer metrics({"--maxforks=1", "sleep", "30"});
  ServerProcess& server = *metrics.server;
  auto holder = connect_to(server);  // takes the only --maxforks slot
  EXPECT_EQ(WsClient::handshake(client_options(server)).http_status, 429);
  // A request head over the 16 KiB limit.
  const auto big = plain_get(server.port(), "/", {{"X-Big", std::string(20 * 1024, 'x')}});
  EXPECT_EQ(big.status, 431) << big.describe();
  const auto m = metrics.scrape();
  EXPECT_EQ(m.at("wsexec_refusals_total{reason=\"maxforks\"}"), 1);
  EXPECT_EQ(m.at("wsexec_refusals_total{reason=\"size\"}"), 1);
  EXPECT_EQ(m.at("wsexec_http_responses_total{code=\"429\"}"), 1);
  EXPECT_EQ(m.at("wsexec_http_responses_total{code=\"431\"}"), 1);
  EXPECT_EQ(m.at("wsexec_sessions_live{kind=\"websocket\"}"), 1);
  EXPECT_EQ(m.at("wsexec_programs_live"), 1);
}

TEST(Metrics, ASpawnThatFailsIsCounted) {
  TempDir dir;
  const std::string script = dir.write_script("gone.sh", "exec cat\n");
  MetricsServer metrics({script});
  ASSERT_EQ(::unlink(script.c_str()), 0);  // resolved at start-up, gone by the spawn
  auto client = connect_to(*metrics.server);
  EXPECT_TRUE(IsClose(client->read(5s), 1011));
  std::map<std::string, double> m;
  ASSERT_TRUE(wait_until(
      [&] {
        m = metrics.scrape();
        return m["wsexec_spawn_failures_total"] == 1;
      },
      5000ms))
      << metrics.server->diagnostics();
  EXPECT_EQ(m["wsexec_spawns_total"], 1);
}

TEST(Metrics, ThePagePassesPromtoolCheckMetrics) {
  const std::string promtool = promtool_path();
  if (promtool.empty()) GTEST_SKIP() << "promtool is not installed (Debian: prometheus)";
  TempDir dir;
  dir.write_script("x.cgi",
                   "printf 'Status: 404 Nope\\r\\nContent-Type: text/plain\\r\\n\\r\\n'\n");
  MetricsServer metrics({"--cgidir=" + dir.path(), "cat"});
  auto client = connect_to(*metrics.server);
  ASSERT_TRUE(client->send_text("a"));
  ASSERT_TRUE(IsText(client->read(5s), "a"));
  EXPECT_EQ(plain_get(metrics.server->port(), "/x.cgi").status, 404);

  const auto response = metrics.get("/metrics");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string page = dir.path() + "/page.txt";
  std::ofstream(page) << response.body;
  const auto result = run_program("/bin/sh", {"-c", promtool + " check metrics < " + page}, 30s);
  ASSERT_TRUE(result.status.has_value());
  EXPECT_TRUE(result.status->exited && result.status->code == 0) << describe(*result.status) << "\n"
                                                                 << result.out << result.err << "\n"
                                                                 << response.body;
  EXPECT_EQ(result.out + result.err, "") << "promtool's lint found something";
}

TEST(Metrics, HealthIsOkWhileAcceptingAnd503OnceStopping) {
  // A program that outlives SIGINT and SIGTERM keeps the server stopping
  // for a while (the ladder reaches SIGKILL after 2 s with --closems).
  TempDir dir;
  const std::string stubborn =
      dir.write_script("stubborn.sh", "trap '' INT TERM\necho up\nwhile :; do sleep 0.1; done\n");
  MetricsServer metrics({"--closems=700", stubborn});
  const auto healthy = metrics.get("/healthz");
  EXPECT_EQ(healthy.status, 200) << healthy.describe();
  EXPECT_EQ(healthy.body, "ok\n");

  auto client = connect_to(*metrics.server);
  ASSERT_TRUE(IsText(client->read(5s), "up"));
  metrics.server->send_signal(SIGTERM);
  PlainHttpResponse draining;
  ASSERT_TRUE(wait_until(
      [&] {
        draining = metrics.get("/healthz");
        return draining.status == 503;
      },
      2000ms))
      << draining.describe() << "\n"
      << metrics.server->diagnostics();
  EXPECT_EQ(draining.body, "draining\n");
  // The listener closes with the server: it never holds the exit up.
  const auto exit = metrics.server->wait_exit(10s);
  ASSERT_TRUE(exit.has_value()) << metrics.server->diagnostics();
  EXPECT_TRUE(exit->exited) << describe(*exit);
}

TEST(Metrics, OtherPathsAre404OtherMethods405AndHeadHasNoBody) {
  MetricsServer metrics({"cat"});
  EXPECT_EQ(metrics.get("/").status, 404);
  EXPECT_EQ(metrics.get("/metrics/extra").status, 404);
  PlainHttpRequest post;
  post.method = "POST";
  post.target = "/metrics";
  const auto refused = plain_http(metrics.metrics_port, post);
  EXPECT_EQ(refused.status, 405) << refused.describe();
  EXPECT_EQ(refused.header("Allow"), "GET, HEAD");
  auto connection = PlainHttpConnection::tcp("127.0.0.1", metrics.metrics_port);
  PlainHttpRequest head;
  head.method = "HEAD";
  head.target = "/healthz";
  ASSERT_TRUE(connection->send_raw(connection->serialize(head)));
  const auto answer = connection->read_response(5s, /*head=*/true);
  EXPECT_EQ(answer.status, 200) << answer.describe();
  EXPECT_EQ(answer.header("Content-Length"), "3");
  EXPECT_TRUE(connection->wait_closed(5s)) << "one request per connection, then close";
}

TEST(Metrics, TheListenerIsNotTheEndpoint) {
  MetricsServer metrics({"cat"});
  // /metrics on the endpoint's port is the endpoint's business, not ours.
  EXPECT_EQ(plain_get(metrics.server->port(), "/metrics").body.find("wsexec_sessions_total"),
            std::string::npos);
  // And the metrics port does not serve WebSocket.
  ConnectOptions options;
  options.port = metrics.metrics_port;
  EXPECT_NE(WsClient::handshake(options).http_status, 101);
}

TEST(Metrics, ListensOnTheIpv6LoopbackWhenAsked) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  const std::uint16_t port = free_port();
  ServerProcess server({"--metrics=[::1]:" + std::to_string(port), "cat"});
  PlainHttpRequest health;
  health.target = "/healthz";
  const auto response = plain_http(port, health, 5s, "::1");
  EXPECT_EQ(response.status, 200) << response.describe();
}

TEST(MetricsErrors, ABadValueNamesTheOptionAndExits1) {
  const auto result = run_to_exit({"--port=0", "--metrics=localhost:9100", "cat"});
  ASSERT_TRUE(result.status.has_value());
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, "--metrics")) << result.err;
}

TEST(MetricsErrors, APortInUseEndsStartUpBeforeAnythingListens) {
  const std::uint16_t busy_port = free_port();
  ListeningSocket busy(busy_port);
  const std::uint16_t port = free_port();
  const auto result = run_to_exit({"--port=" + std::to_string(port), "--address=127.0.0.1",
                                   "--metrics=" + std::to_string(busy_port), "cat"});
  ASSERT_TRUE(result.status.has_value());
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, "--metrics")) << result.err;
  EXPECT_TRUE(contains(result.err, "127.0.0.1:" + std::to_string(busy_port))) << result.err;
}

}  // namespace
}  // namespace wsexec_test

namespace wsexec_test {
namespace {

TEST(MetricsMore, AStaticFileIsASessionOfItsOwnKind) {
  TempDir dir;
  dir.write_file("page.txt", "hello\n");
  MetricsServer metrics({"--staticdir=" + dir.path()});
  ASSERT_EQ(plain_get(metrics.server->port(), "/page.txt").body, "hello\n");
  std::map<std::string, double> m;
  ASSERT_TRUE(wait_until(
      [&] {
        m = metrics.scrape();
        return m["wsexec_sessions_total{kind=\"static\"}"] == 1 &&
               m["wsexec_sessions_live{kind=\"static\"}"] == 0;
      },
      5000ms))
      << metrics.server->diagnostics();
  EXPECT_EQ(m["wsexec_session_duration_seconds_count{kind=\"static\"}"], 1);
  EXPECT_EQ(m["wsexec_http_responses_total{code=\"200\"}"], 1);
  EXPECT_EQ(m["wsexec_spawns_total"], 0);
}

TEST(MetricsMore, AFailedTlsHandshakeIsCounted) {
  TestPki pki;
  MetricsServer metrics(
      {"--ssl", "--sslcert=" + pki.server.certificate, "--sslkey=" + pki.server.key, "cat"});
  RawConnection plain("127.0.0.1", metrics.server->port());
  ASSERT_TRUE(plain.send_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));  // not a ClientHello
  std::map<std::string, double> m;
  EXPECT_TRUE(wait_until(
      [&] {
        m = metrics.scrape();
        return m["wsexec_tls_handshake_failures_total"] == 1;
      },
      5000ms))
      << metrics.server->diagnostics();
}

// The request-head limit is 10 s (limits::kRequestHeadTimeout), so this
// test takes that long.
TEST(MetricsMore, AHeadThatNeverEndsIsAHeadTimeoutRefusal) {
  MetricsServer metrics({"cat"});
  RawConnection slow("127.0.0.1", metrics.server->port());
  ASSERT_TRUE(slow.send_all("GET / HTTP/1.1\r\nHost: x\r\n"));  // and no blank line, ever
  std::map<std::string, double> m;
  EXPECT_TRUE(wait_until(
      [&] {
        m = metrics.scrape();
        return m["wsexec_refusals_total{reason=\"head_timeout\"}"] == 1;
      },
      15000ms, 200ms))
      << metrics.server->diagnostics();
}

TEST(MetricsMore, AnIdleKeepAliveConnectionIsNoRefusal) {
  TempDir dir;
  dir.write_file("a.txt", "a");
  MetricsServer metrics({"--staticdir=" + dir.path()});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", metrics.server->port());
  PlainHttpRequest request;
  request.target = "/a.txt";
  request.keep_alive = true;
  ASSERT_EQ(connection->request(request).status, 200);
  // The server drops the idle connection after the head timeout.
  ASSERT_TRUE(connection->wait_closed(15s));
  EXPECT_EQ(metrics.scrape()["wsexec_refusals_total{reason=\"head_timeout\"}"], 0);
}

}  // namespace
}  // namespace wsexec_test
