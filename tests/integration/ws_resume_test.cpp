// Resume for WebSocket clients (subprotocol wsexec.v1, --sse --resumems;
// docs/sse-protocol.md "WebSocket resume"): the session's JSON first, then
// the program's messages counted 1, 2, 3...; a client whose connection
// breaks comes back with the token and the last number it saw and gets
// the rest, nothing lost or repeated; a plain client sees no difference.
#include <nlohmann/json.hpp>
#include <string>

#include "harness.hpp"
#include "sse_client.hpp"

namespace wsexec_test {
namespace {

ConnectOptions resumable_options(const ServerProcess& server, std::string target = "/r") {
  ConnectOptions options = client_options(server, std::move(target));
  options.headers.emplace_back("Sec-WebSocket-Protocol", "wsexec.v1");
  return options;
}

struct Opened {
  std::unique_ptr<WsClient> client;
  std::string token;
};

// Opens a resumable session and reads its first message.
Opened open_resumable(const ServerProcess& server, unsigned resume_ms) {
  HandshakeResult result = WsClient::handshake(resumable_options(server));
  EXPECT_EQ(result.http_status, 101) << result.error;
  if (!result.client) return {};
  EXPECT_EQ(result.header("Sec-WebSocket-Protocol"), "wsexec.v1");
  const WsEvent first = result.client->read();
  EXPECT_EQ(first.kind, EventKind::text) << describe(first);
  const auto data = nlohmann::json::parse(first.data, nullptr, false);
  EXPECT_TRUE(data.is_object()) << first.data;
  if (!data.is_object()) return {};
  EXPECT_EQ(data.value("resume_ms", 0u), resume_ms);
  const std::string token = data.value("token", "");
  EXPECT_EQ(token.size(), 32u) << first.data;
  EXPECT_EQ(data.value("post", ""), "/r?wsexec_session=" + token);
  return {std::move(result.client), token};
}

std::string resume_target(const std::string& token, std::uint64_t last_seen) {
  return "/r?wsexec_session=" + token + "&wsexec_last_event_id=" + std::to_string(last_seen);
}

HandshakeResult resume(const ServerProcess& server, const std::string& token,
                       std::uint64_t last_seen) {
  return WsClient::handshake(resumable_options(server, resume_target(token, last_seen)));
}

// Reads text messages into `seen` until it holds `count` or nothing comes.
void read_into(WsClient& client, std::vector<std::string>& seen, std::size_t count) {
  while (seen.size() < count) {
    const WsEvent event = client.read(10000ms);
    ASSERT_EQ(event.kind, EventKind::text) << "after " << seen.size() << ": " << describe(event);
    seen.push_back(event.data);
  }
}

TEST(WsResume, AWsexecV1ClientGetsTheSessionFirstThenTheProgramsMessages) {
  ServerProcess server({"--sse", "--resumems=10000", "cat"});
  Opened opened = open_resumable(server, 10000);
  ASSERT_TRUE(opened.client);
  ASSERT_TRUE(opened.client->send_text("one"));
  EXPECT_TRUE(IsText(opened.client->read(), "one"));
  EXPECT_TRUE(server.wait_for_log_line({"CONNECT", "transport:'websocket'"}));
}

TEST(WsResume, AfterAResetTheClientGetsEveryMessageAfterItsLastOnceThenTheLiveStream) {
  ServerProcess server({"--sse", "--resumems=10000", "--resumebuffer=1048576", "sh", "-c",
                        "read go; seq 1 5000; exec cat"});
  Opened opened = open_resumable(server, 10000);
  ASSERT_TRUE(opened.client);
  ASSERT_TRUE(opened.client->send_text("go"));
  std::vector<std::string> seen;
  read_into(*opened.client, seen, 1234);
  opened.client->abort();  // no close frame: the session waits
  opened.client.reset();

  HandshakeResult again = resume(server, opened.token, seen.size());
  ASSERT_EQ(again.http_status, 101) << again.error;
  EXPECT_EQ(again.header("Sec-WebSocket-Protocol"), "wsexec.v1");
  read_into(*again.client, seen, 5000);  // no session message first
  for (std::size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i], std::to_string(i + 1)) << "message " << i + 1;
  }
  ASSERT_TRUE(again.client->send_text("live"));
  EXPECT_TRUE(IsText(again.client->read(), "live"));  // message 5001
  EXPECT_TRUE(server.wait_for_log_line(
      {"RESUME over WebSocket after event 1234", opened.token.substr(0, 8)}));
}

TEST(WsResume, WhatCannotBeResumedIs404BeforeTheUpgrade) {
  // About 120 KB of messages, more than the 64 KiB kept once sent.
  ServerProcess server({"--sse", "--resumems=10000", "--resumebuffer=65536", "sh", "-c",
                        "i=0; while [ $i -lt 2000 ]; do "
                        "echo \"line $i of padding padding padding padding padding\"; "
                        "i=$((i+1)); done; exec cat"});
  Opened opened = open_resumable(server, 10000);
  ASSERT_TRUE(opened.client);
  std::vector<std::string> seen;
  read_into(*opened.client, seen, 2000);
  opened.client->abort();
  EXPECT_EQ(resume(server, opened.token, 1).http_status, 404);     // dropped
  EXPECT_EQ(resume(server, opened.token, 2001).http_status, 404);  // never sent
  EXPECT_EQ(resume(server, std::string(32, 'a'), 0).http_status, 404);
  EXPECT_EQ(WsClient::handshake(resumable_options(server, "/r?wsexec_session=" + opened.token +
                                                              "&wsexec_last_event_id=x1"))
                .http_status,
            400);
  HandshakeResult again = resume(server, opened.token, 1999);  // the newest are held
  ASSERT_EQ(again.http_status, 101);
  EXPECT_TRUE(IsText(again.client->read(), "line 1999 of padding padding padding padding padding"));
}

TEST(WsResume, AClientThatDoesNotComeBackEndsTheSessionAfterTheWindow) {
  ServerProcess server({"--sse", "--resumems=300", "cat"});
  const int descriptors_before = open_descriptor_count(server.pid());
  Opened opened = open_resumable(server, 300);
  ASSERT_TRUE(opened.client);
  opened.client->abort();
  EXPECT_TRUE(server.wait_for_log_line({"no client came back within --resumems"}, 5000ms))
      << server.diagnostics();
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'websocket'"}, 5000ms));
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 5000ms));
  EXPECT_TRUE(
      wait_until([&] { return open_descriptor_count(server.pid()) == descriptors_before; }, 5000ms))
      << open_descriptor_count(server.pid()) << " descriptors, " << descriptors_before << " before";
  EXPECT_EQ(resume(server, opened.token, 0).http_status, 404);
}

TEST(WsResume, AClientsCloseFrameEndsTheSessionAtOnce) {
  ServerProcess server({"--sse", "--resumems=60000", "cat"});
  Opened opened = open_resumable(server, 60000);
  ASSERT_TRUE(opened.client);
  EXPECT_TRUE(opened.client->close(1000));
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'websocket'"}, 5000ms))
      << server.diagnostics();
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 5000ms));
  EXPECT_EQ(resume(server, opened.token, 0).http_status, 404);
}

// A client that sends its close frame and then neither reads nor ends
// TCP: Beast answers and waits for the client's FIN, which never comes.
// The worker's sweep ends that wait within two seconds, and the close
// frame ends the session as it does for any client.
TEST(WsResume, AClientThatKeepsTcpOpenAfterItsCloseFrameStillEndsTheSession) {
  ServerProcess server({"--sse", "--resumems=60000", "cat"});
  Opened opened = open_resumable(server, 60000);
  ASSERT_TRUE(opened.client);
  ASSERT_TRUE(opened.client->send_close_frame_only(1000));
  const auto closed_at = std::chrono::steady_clock::now();
  // The client stays connected for the whole test.
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'websocket'"}, 6000ms))
      << server.diagnostics();
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 5000ms));
  EXPECT_LT(std::chrono::steady_clock::now() - closed_at, 4s);
}

// As on a plain connection (Rfc6455.InvalidCloseCodesAreAnsweredWith1002):
// Beast takes codes from 5000 up for valid ones and would echo them.
TEST(WsResume, ACloseCodeBeyondTheRfcIsAnswered1002) {
  ServerProcess server({"--sse", "--resumems=60000", "cat"});
  Opened opened = open_resumable(server, 60000);
  ASSERT_TRUE(opened.client);
  ASSERT_TRUE(opened.client->send_close_frame_only(5000));
  const Transcript transcript = opened.client->read_until_end(5000ms);
  EXPECT_TRUE(IsClose(transcript.end, 1002));
  EXPECT_TRUE(
      server.wait_for_log_line({"client closed with invalid code 5000, answered 1002"}, 2000ms))
      << server.diagnostics();
}

TEST(WsResume, TheProgramsEndIsTheCloseFrame) {
  ServerProcess server({"--sse", "--resumems=10000", "sh", "-c", "echo bye; exit 3"});
  Opened opened = open_resumable(server, 10000);
  ASSERT_TRUE(opened.client);
  const Transcript transcript = opened.client->read_until_end(5000ms);
  EXPECT_EQ(transcript.texts(), std::vector<std::string>{"bye"});
  EXPECT_TRUE(IsCloseWithReason(transcript.end, 1000, "exit 3"));
}

TEST(WsResume, BinaryOutputStaysBinary) {
  ServerProcess server({"--sse", "--resumems=10000", "--binary", "printf", "\\001\\002"});
  Opened opened = open_resumable(server, 10000);
  ASSERT_TRUE(opened.client);
  const WsEvent event = opened.client->read();
  EXPECT_EQ(event.kind, EventKind::binary) << describe(event);
  EXPECT_EQ(event.data, std::string("\x01\x02"));
}

TEST(WsResume, APlainClientSeesNoDifference) {
  ServerProcess server({"--sse", "--resumems=10000", "cat"});
  for (const std::string offer : {"", "chat"}) {
    ConnectOptions options = client_options(server, "/r?wsexec_session=abc");
    if (!offer.empty()) options.headers.emplace_back("Sec-WebSocket-Protocol", offer);
    HandshakeResult result = WsClient::handshake(options);
    ASSERT_EQ(result.http_status, 101) << result.error;
    EXPECT_FALSE(result.has_header("Sec-WebSocket-Protocol"));
    ASSERT_TRUE(result.client->send_text("hello"));
    EXPECT_TRUE(IsText(result.client->read(), "hello"));  // no session message first
  }
}

TEST(WsResume, WithoutResumemsWsexecV1IsAPlainWebSocket) {
  ServerProcess server({"--sse", "cat"});
  HandshakeResult result = WsClient::handshake(resumable_options(server));
  ASSERT_EQ(result.http_status, 101) << result.error;
  EXPECT_FALSE(result.has_header("Sec-WebSocket-Protocol"));
  ASSERT_TRUE(result.client->send_text("hello"));
  EXPECT_TRUE(IsText(result.client->read(), "hello"));
}

TEST(WsResume, AProgramThatReadsSlowlyHoldsTheClientBackAndLosesNothing) {
  // 8 MB sent while the program sleeps: far more than its input queue, the
  // pipe and the socket buffers hold, so the server stops reading meanwhile.
  ServerProcess server({"--sse", "--resumems=10000", "sh", "-c", "sleep 1; head -n 8192 | wc -l"});
  Opened opened = open_resumable(server, 10000);
  ASSERT_TRUE(opened.client);
  const std::string line(1023, 'x');
  for (int i = 0; i < 8192; ++i) opened.client->queue_text(line);
  EXPECT_FALSE(opened.client->flush(500ms)) << "the server read everything at once";
  ASSERT_TRUE(opened.client->flush(30000ms));
  const WsEvent count = opened.client->read(10000ms);
  EXPECT_TRUE(IsText(count, "8192"));
}

TEST(WsResume, AnSseSessionCanBeResumedOverWebSocket) {
  ServerProcess server({"--sse", "--resumems=10000", "cat"});
  SseTestStream stream(server.port(), "/r");
  const Session session = session_of(stream);
  PlainHttpRequest post;
  post.method = "POST";
  post.target = session.post_url;
  post.body = "over sse";
  ASSERT_EQ(plain_http(server.port(), post).status, 204);
  HandshakeResult again = resume(server, session.token, 0);
  ASSERT_EQ(again.http_status, 101) << again.error;
  EXPECT_TRUE(IsText(again.client->read(), "over sse"));
  ASSERT_TRUE(again.client->send_text("over websocket"));
  EXPECT_TRUE(IsText(again.client->read(), "over websocket"));
}

// As a plain upgrade's: the program starts once the client's name is known.
TEST(WsResume, WithReverselookupTheProgramSeesTheClientsName) {
  ServerProcess server({"--sse", "--resumems=5000", "--reverselookup", "sh", "-c",
                        "echo \"$REMOTE_HOST $REMOTE_ADDR\"; sleep 1"});
  Opened opened = open_resumable(server, 5000);
  ASSERT_TRUE(opened.client);
  const WsEvent line = opened.client->read();
  EXPECT_TRUE(IsText(line, "localhost 127.0.0.1")) << describe(line);
}

}  // namespace
}  // namespace wsexec_test
