// The HTTP fallback transport (--sse, docs/sse-protocol.md) over loopback:
// the real binary, a raw HTTP client, assertions on the wire, the log and
// /proc.
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "harness.hpp"
#include "sse_client.hpp"

namespace wsexec_test {
namespace {

PlainHttpResponse post(std::uint16_t port, const std::string& target, const std::string& body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  PlainHttpRequest request;
  request.method = "POST";
  request.target = target;
  request.body = body;
  request.headers = std::move(headers);
  return plain_http(port, request);
}

pid_t pid_from_log(ServerProcess& server) {
  const auto line = server.wait_for_log_line({"CONNECT", "transport:'sse'"});
  if (!line) return -1;
  std::smatch match;
  static const std::regex pid(R"(pid:'(\d+)')");
  return std::regex_search(*line, match, pid) ? std::stoi(match[1]) : -1;
}

TEST(Sse, AStreamCarriesTheSessionTheProgramsLinesAndTheCloseWithItsStatus) {
  ServerProcess server({"--sse", "sh", "-c", "echo one; echo two; exit 3"});
  SseTestStream stream(server.port(), "/app?x=1");
  ASSERT_EQ(stream.status(), 200) << stream.head();
  EXPECT_NE(stream.head().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(stream.head().find("Cache-Control: no-store"), std::string::npos);
  EXPECT_NE(stream.head().find("X-Accel-Buffering: no"), std::string::npos);
  const Session session = session_of(stream);
  EXPECT_TRUE(std::regex_match(session.token, std::regex("[0-9a-f]{32}"))) << session.token;
  EXPECT_EQ(session.post_url, "/app?wsexec_session=" + session.token);
  const auto one = stream.next();
  ASSERT_TRUE(one);
  EXPECT_EQ(one->id.value_or(""), "1");
  EXPECT_EQ(one->data, "one");
  const auto two = stream.next();
  ASSERT_TRUE(two);
  EXPECT_EQ(two->id.value_or(""), "2");
  EXPECT_EQ(two->data, "two");
  const auto close = stream.next();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->name, "close");
  EXPECT_EQ(close->id.value_or(""), "3");
  EXPECT_EQ(nlohmann::json::parse(close->data),
            nlohmann::json::parse(R"({"code":1000,"reason":"exit 3"})"));
  EXPECT_FALSE(stream.next(2000ms));
  EXPECT_TRUE(stream.saw_last_chunk());
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'sse'", "exit:'3'"}))
      << server.diagnostics();
}

TEST(Sse, TokensDifferBetweenSessionsAndTheLogShowsOnlyTheirStart) {
  ServerProcess server({"--sse", "sh", "-c", "sleep 1"});
  SseTestStream a(server.port(), "/");
  SseTestStream b(server.port(), "/");
  const Session first = session_of(a);
  const Session second = session_of(b);
  EXPECT_NE(first.token, second.token);
  ASSERT_TRUE(server.wait_for_log_line({"CONNECT", first.token.substr(0, 8)}));
  EXPECT_EQ(server.log().find(first.token), std::string::npos) << server.log();
}

TEST(Sse, TheProgramGetsTheRequestsEnvironment) {
  ServerProcess server({"--sse", "sh", "-c", "echo \"$QUERY_STRING|$HTTP_X_COLOUR\""});
  SseTestStream stream(server.port(), "/?a=1&b=2", {{"X-Colour", "blue"}});
  session_of(stream);
  const auto line = stream.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->data, "a=1&b=2|blue");
}

TEST(Sse, PostsReachTheProgramInOrderByParameterOrHeader) {
  ServerProcess server({"--sse", "cat"});
  SseTestStream stream(server.port(), "/echo");
  const Session session = session_of(stream);
  EXPECT_EQ(post(server.port(), session.post_url, "first").status, 204);
  EXPECT_EQ(post(server.port(), "/echo", "second", {{"X-Wsexec-Session", session.token}}).status,
            204);
  for (const char* expected : {"first", "second"}) {
    const auto event = stream.next();
    ASSERT_TRUE(event) << server.diagnostics();
    EXPECT_EQ(event->data, expected);
  }
}

TEST(Sse, PostsAreAnsweredWithWhatBecameOfThem) {
  ServerProcess server({"--sse", "--maxframesize=16", "cat"});
  SseTestStream stream(server.port(), "/");
  const Session session = session_of(stream);
  EXPECT_EQ(post(server.port(), "/?wsexec_session=" + std::string(32, '0'), "x").status, 404);
  EXPECT_EQ(post(server.port(), "/?wsexec_session=", "x").status, 400);
  EXPECT_EQ(post(server.port(), session.post_url, std::string(17, 'x')).status, 413);
  EXPECT_EQ(
      post(server.port(), session.post_url, "bin", {{"Content-Type", "application/octet-stream"}})
          .status,
      415);
  EXPECT_EQ(post(server.port(), session.post_url, std::string(16, 'x')).status, 204);
  const auto event = stream.next();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->data, std::string(16, 'x'));
  // A POST without a token is not ours: served as without --sse.
  EXPECT_EQ(post(server.port(), "/", "x").status, 404);
}

TEST(Sse, AFullInputQueueIsAnsweredTooManyRequestsWithRetryAfter) {
  // The program never reads: its pipe and then the server's queue fill up.
  ServerProcess server({"--sse", "sleep", "30"});
  SseTestStream stream(server.port(), "/");
  const Session session = session_of(stream);
  const std::string big(200 * 1024, 'x');
  PlainHttpResponse answer;
  for (int i = 0; i < 10; ++i) {
    answer = post(server.port(), session.post_url, big);
    if (answer.status != 204) break;
  }
  EXPECT_EQ(answer.status, 429) << answer.describe();
  EXPECT_EQ(answer.header("Retry-After").value_or(""), "1");
}

TEST(Sse, AForeignOriginIsRefusedForTheStreamAndThePosts) {
  ServerProcess server({"--sse", "--origin=good.example", "cat"});
  SseTestStream refused(server.port(), "/", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(refused.status(), 403) << refused.head();
  SseTestStream stream(server.port(), "/", {{"Origin", "http://good.example"}});
  const Session session = session_of(stream);
  EXPECT_EQ(post(server.port(), session.post_url, "x", {{"Origin", "http://evil.example"}}).status,
            403);
  EXPECT_EQ(post(server.port(), session.post_url, "x", {{"Origin", "http://good.example"}}).status,
            204);
}

TEST(Sse, MaxforksRefusesAStreamAsItRefusesAnUpgrade) {
  ServerProcess server({"--sse", "--maxforks=1", "cat"});
  SseTestStream first(server.port(), "/");
  session_of(first);
  SseTestStream second(server.port(), "/");
  EXPECT_EQ(second.status(), 429) << second.head();
}

TEST(Sse, WithoutTheOptionAnEventStreamRequestIsAPlainRequest) {
  ServerProcess server({"cat"});
  SseTestStream stream(server.port(), "/");
  EXPECT_EQ(stream.status(), 404) << stream.head();
}

TEST(Sse, BinaryOutputIsBase64AndBinaryPostsReachTheProgramAsTheyAre) {
  // head -c 4 answers the first four bytes posted, then exits.
  ServerProcess server({"--sse", "--binary", "head", "-c", "4"});
  SseTestStream stream(server.port(), "/");
  const Session session = session_of(stream);
  EXPECT_EQ(post(server.port(), session.post_url, "text", {{"Content-Type", "text/plain"}}).status,
            415);
  EXPECT_EQ(post(server.port(), session.post_url, std::string("\x00\x01\x02\xff", 4),
                 {{"Content-Type", "application/octet-stream"}})
                .status,
            204);
  const auto event = stream.next();
  ASSERT_TRUE(event) << server.diagnostics();
  EXPECT_EQ(event->name, "binary");
  EXPECT_EQ(event->data, "AAEC/w==");
}

TEST(Sse, IdleStreamsGetKeepAliveComments) {
  ServerProcess server({"--sse", "--pingms=100", "sleep", "30"});
  SseTestStream stream(server.port(), "/");
  session_of(stream);
  const auto comment = stream.next(3000ms, /*comments=*/true);
  ASSERT_TRUE(comment);
  EXPECT_TRUE(comment->comment);
  EXPECT_EQ(comment->data, ": keep-alive");
}

TEST(Sse, AClientThatLeavesEndsItsProgramAndItsSession) {
  ServerProcess server({"--sse", "cat"});
  PidCleanup cleanup;
  SseTestStream stream(server.port(), "/");
  const Session session = session_of(stream);
  const pid_t pid = pid_from_log(server);
  ASSERT_GT(pid, 0) << server.diagnostics();
  cleanup.add(pid);
  const int descriptors_before = open_descriptor_count(server.pid());
  stream.close();
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'sse'"})) << server.diagnostics();
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, 5000ms)) << "child " << pid;
  EXPECT_TRUE(children_of(server.pid()).empty());
  EXPECT_EQ(post(server.port(), session.post_url, "late").status, 404);
  EXPECT_TRUE(
      wait_until([&] { return open_descriptor_count(server.pid()) < descriptors_before; }, 2000ms));
}

}  // namespace
}  // namespace wsexec_test
