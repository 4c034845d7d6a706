// The SSE transport (docs/sse-protocol.md) where a session meets the rest
// of the server: shutdown, terminal programs (--pty).
#include <boost/beast/core/detail/base64.hpp>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "harness.hpp"
#include "sse_client.hpp"

namespace wsexec_test {
namespace {

constexpr Millis kWait = 10000ms;

int post(std::uint16_t port, const std::string& target, const std::string& body) {
  PlainHttpRequest request;
  request.method = "POST";
  request.target = target;
  request.body = body;
  return plain_http(port, request).status;
}

// The close event's code and reason, as JSON; null when none came.
nlohmann::json close_of(SseTestStream& stream) {
  for (;;) {
    const auto event = stream.next(kWait);
    if (!event) return nullptr;
    if (event->name == "close") return nlohmann::json::parse(event->data);
  }
}

std::string from_base64(const std::string& text) {
  namespace base64 = boost::beast::detail::base64;
  std::string bytes(base64::decoded_size(text.size()), '\0');
  bytes.resize(base64::decode(bytes.data(), text.data(), text.size()).first);
  return bytes;
}

// A terminal's output, binary event after binary event, until it contains
// `wanted` (true) or the stream has nothing more for kWait (false).
bool terminal_shows(SseTestStream& stream, std::string& screen, const std::string& wanted) {
  while (screen.find(wanted) == std::string::npos) {
    const auto event = stream.next(kWait);
    if (!event) return false;
    EXPECT_EQ(event->name, "binary") << event->data;
    screen += from_base64(event->data);
  }
  return true;
}

TEST(SseLifecycle, OnSigtermAnAttachedStreamGetsClose1001BeforeTheConnectionEnds) {
  ServerProcess server({"--sse", "cat"});
  SseTestStream stream(server.port(), "/");
  session_of(stream);
  ASSERT_TRUE(server.wait_for_log_line({"CONNECT", "transport:'sse'"})) << server.diagnostics();
  server.send_signal(SIGTERM);
  EXPECT_EQ(close_of(stream), nlohmann::json::parse(R"({"code":1001,"reason":""})"))
      << server.diagnostics();
  EXPECT_FALSE(stream.next(2000ms));
  EXPECT_TRUE(stream.saw_last_chunk());
  EXPECT_TRUE(server.wait_exit(5000ms));
}

TEST(SseLifecycle, OnSigtermAnSseClientOfASharedProgramGetsClose1001Too) {
  ServerProcess server({"--sse", "--shared", "cat"});
  SseTestStream stream(server.port(), "/");
  session_of(stream);
  ASSERT_TRUE(server.wait_for_log_line({"CONNECT", "transport:'sse'"})) << server.diagnostics();
  server.send_signal(SIGTERM);
  EXPECT_EQ(close_of(stream), nlohmann::json::parse(R"({"code":1001,"reason":""})"))
      << server.diagnostics();
  // The last chunk may come in a read of its own, after the close event's.
  EXPECT_FALSE(stream.next(2000ms));
  EXPECT_TRUE(stream.saw_last_chunk());
  EXPECT_TRUE(server.wait_exit(5000ms));
}

TEST(SseLifecycle, ATerminalProgramsOutputArrivesAsBinaryEventsAndPostsAreItsKeystrokes) {
  ServerProcess server({"--sse", "--pty", "sh", "-c", "stty size; read x; echo \"got $x\""});
  SseTestStream stream(server.port(), "/?cols=90&rows=20");
  const Session session = session_of(stream);
  std::string screen;
  EXPECT_TRUE(terminal_shows(stream, screen, "20 90")) << screen;
  ASSERT_EQ(post(server.port(), session.post_url, "hello\r"), 204);
  EXPECT_TRUE(terminal_shows(stream, screen, "got hello")) << screen;
  EXPECT_EQ(close_of(stream), nlohmann::json::parse(R"({"code":1000,"reason":"exit 0"})"));
}

TEST(SseLifecycle, ATerminalClientResizesWithTheControlMessageAsAPost) {
  ServerProcess server({"--sse", "--pty", "sh", "-c", "read x; stty size"});
  SseTestStream stream(server.port(), "/");
  const Session session = session_of(stream);
  // Applied when the POST is answered; the keystrokes after it find the new size.
  ASSERT_EQ(post(server.port(), session.post_url, R"({"type":"resize","cols":100,"rows":30})"),
            204);
  ASSERT_EQ(post(server.port(), session.post_url, R"({"type":"input","data":"go\r"})"), 204);
  std::string screen;
  EXPECT_TRUE(terminal_shows(stream, screen, "30 100")) << screen;
}

TEST(SseLifecycle, AnIdleSessionIsClosedWithReasonIdleAndItsProgramEnded) {
  TempDir dir;
  ServerProcess server(
      {"--sse", "--idlems=500", dir.write_script("pid_cat.sh", "echo $$\nexec cat\n")});
  SseTestStream stream(server.port(), "/");
  session_of(stream);
  const auto first = stream.next(kWait);  // the last activity
  ASSERT_TRUE(first) << server.diagnostics();
  const auto quiet_since = std::chrono::steady_clock::now();
  const pid_t pid = parse_pid(first->data);
  ASSERT_GT(pid, 0);
  PidCleanup cleanup;
  cleanup.add(pid);
  EXPECT_EQ(close_of(stream), nlohmann::json::parse(R"({"code":1000,"reason":"idle"})"));
  EXPECT_GE(std::chrono::steady_clock::now() - quiet_since, 400ms) << "closed before --idlems";
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, 2500ms)) << "program " << pid;
  const auto line = server.wait_for_log_line({"DISCONNECT", "transport:'sse'"});
  ASSERT_TRUE(line) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "reason"), "idle") << *line;
}

TEST(SseLifecycle, PostsKeepASessionOpenUntilItsLifetimeEndsIt) {
  // Reads everything and prints nothing (its stdout stays open): only the
  // client's messages move.
  ServerProcess server(
      {"--sse", "--idlems=600", "--lifetimems=2000", "sh", "-c", "while read line; do :; done"});
  SseTestStream stream(server.port(), "/");
  const Session session = session_of(stream);
  const auto started = std::chrono::steady_clock::now();
  // A POST every 200 ms outlives three --idlems.
  while (std::chrono::steady_clock::now() - started < 1800ms) {
    ASSERT_EQ(post(server.port(), session.post_url, "still here"), 204) << server.diagnostics();
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(close_of(stream), nlohmann::json::parse(R"({"code":1000,"reason":"lifetime"})"));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 1500ms);  // not the idle limit
  const auto line = server.wait_for_log_line({"DISCONNECT", "transport:'sse'"});
  ASSERT_TRUE(line) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "reason"), "lifetime") << *line;
}

}  // namespace
}  // namespace wsexec_test
