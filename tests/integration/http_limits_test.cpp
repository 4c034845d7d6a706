// Limits that protect the server (issue 3, item 7): a request head must be
// complete within 10 s (slow-header clients are dropped while everyone else
// is served normally), and a head over 16 KiB is refused with 431. The CGI
// body limits (411, 413) are in cgi_test.cpp.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct SmallSite {
  TempDir dir;
  std::string root;
  SmallSite() {
    root = dir.file("www");
    fs::create_directories(root);
    dir.write_file("www/index.html", "<p>served</p>\n");
  }
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The only test that waits out the 10 s request-head deadline.
TEST(HttpLimits, SlowHeaderClientsAreDroppedWhileOthersAreServed) {
  SmallSite site;
  ServerProcess server({"--staticdir=" + site.root, "cat"});
  const auto start = Clock::now();
  // One client says nothing at all; the other trickles header lines
  // forever, each in time, but never ends the head.
  auto silent = PlainHttpConnection::tcp("127.0.0.1", server.port());
  auto dripping = PlainHttpConnection::tcp("127.0.0.1", server.port());
  ASSERT_TRUE(dripping->send_raw("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"));

  auto ws = connect_to(server);
  double silent_closed_at = -1;
  double dripping_closed_at = -1;
  int served = 0;
  int line = 0;
  while ((silent_closed_at < 0 || dripping_closed_at < 0) && seconds_since(start) < 25) {
    if (dripping_closed_at < 0) {
      const bool sent = dripping->send_raw("X-Drip-" + std::to_string(line++) + ": a\r\n", 1s);
      if (!sent || dripping->peer_closed()) dripping_closed_at = seconds_since(start);
    }
    if (silent_closed_at < 0 && silent->peer_closed()) silent_closed_at = seconds_since(start);
    // Meanwhile everyone else is served as usual.
    PlainHttpResponse page = plain_get(server.port(), "/", {}, 5s);
    EXPECT_EQ(page.status, 200) << "at " << seconds_since(start) << " s: " << page.describe();
    EXPECT_EQ(page.body, "<p>served</p>\n");
    ASSERT_TRUE(ws->send_text("ping " + std::to_string(served)));
    EXPECT_TRUE(IsText(ws->read(5s), "ping " + std::to_string(served)));
    ++served;
    std::this_thread::sleep_for(400ms);
  }
  EXPECT_GT(served, 10);
  // Dropped by the deadline: not before about 10 s, and not much after.
  EXPECT_GE(silent_closed_at, 8.0) << "the silent client was dropped too early";
  EXPECT_LE(silent_closed_at, 16.0) << "the silent client was not dropped in time (-1: never)";
  EXPECT_GE(dripping_closed_at, 8.0) << "the dripping client was dropped too early";
  EXPECT_LE(dripping_closed_at, 16.0) << "the dripping client was not dropped in time (-1: never)";
  EXPECT_TRUE(server.running());
}

TEST(HttpLimits, RequestHeadOver16KiBIs431) {
  SmallSite site;
  ServerProcess server({"--staticdir=" + site.root, "cat"});
  PlainHttpResponse large =
      plain_get(server.port(), "/index.html", {{"X-Big", std::string(17 * 1024, 'a')}});
  EXPECT_EQ(large.status, 431) << large.describe();
  EXPECT_TRUE(server.wait_for_log_line({"| ACCESS |", "TOO LARGE"}).has_value())
      << server.diagnostics();

  // Many headers that together pass the limit count the same.
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 40; ++i)
    many.emplace_back("X-Part-" + std::to_string(i), std::string(500, 'b'));
  PlainHttpResponse summed = plain_get(server.port(), "/index.html", many);
  EXPECT_EQ(summed.status, 431) << summed.describe();

  // A WebSocket upgrade is held to the same limit.
  ConnectOptions options = client_options(server);
  options.headers.emplace_back("X-Big", std::string(17 * 1024, 'c'));
  EXPECT_EQ(WsClient::handshake(options).http_status, 431);

  // Below the limit all is well.
  PlainHttpResponse fine =
      plain_get(server.port(), "/index.html", {{"X-Big", std::string(12 * 1024, 'a')}});
  EXPECT_EQ(fine.status, 200) << fine.describe();
  EXPECT_EQ(fine.body, "<p>served</p>\n");
}

}  // namespace
}  // namespace wsexec_test
