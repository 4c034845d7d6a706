// --sse with --shared (docs/sse-protocol.md, docs/shared.md): an SSE
// client is one more client of the shared program, beside WebSocket ones,
// in both modes; the program cannot tell them apart.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

// The data of the next message event, or "" (with a failure) when none came.
std::string next_message(SseTestStream& stream) {
  const auto event = stream.next(kWait);
  if (!event || event->name != "message") {
    ADD_FAILURE() << "no message event" << (event ? ", got event " + event->name : "");
    return "";
  }
  return event->data;
}

// The close event's code and reason, as JSON; null when none came.
nlohmann::json close_of(SseTestStream& stream) {
  for (;;) {
    const auto event = stream.next(kWait);
    if (!event) return nullptr;
    if (event->name == "close") return nlohmann::json::parse(event->data);
  }
}

// The tiny addressed room of shared_addressed_test: "whoami" answers the
// sender, "all X" goes to everyone, "kick ID" closes that client with 4000;
// every event it gets is printed to stderr, i.e. to the server's log.
constexpr const char* kRoom = R"(#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    event = json.loads(line)
    print(json.dumps(event), file=sys.stderr, flush=True)
    if event["event"] != "message":
        continue
    who, text = event["id"], event["data"]
    if text == "whoami":
        print(json.dumps({"to": who, "data": "you are " + who}), flush=True)
    elif text.startswith("all "):
        print(json.dumps({"data": text[4:]}), flush=True)
    elif text.startswith("kick "):
        print(json.dumps({"close": text[5:], "code": 4000, "reason": "kicked"}), flush=True)
)";

std::string sse_id_of(SseTestStream& stream, const Session& session, std::uint16_t port) {
  if (post(port, session.post_url, "whoami") != 204) return "";
  const std::string answer = next_message(stream);
  const std::string prefix = "you are ";
  return answer.starts_with(prefix) ? answer.substr(prefix.size()) : "";
}

TEST(SseShared, AWebSocketAndAnSseClientSeeEachOthersLinesInTheSameOrder) {
  ServerProcess server({"--sse", "--shared", "cat"});
  SseTestStream sse(server.port(), "/");
  ASSERT_EQ(sse.status(), 200) << sse.head();
  const Session session = session_of(sse);  // the program runs and has it as a client
  auto ws = connect_to(server);
  ASSERT_TRUE(ws->send_text("ws 0"));  // joined before its own message reaches the program
  EXPECT_TRUE(IsText(ws->read(kWait), "ws 0"));
  EXPECT_EQ(next_message(sse), "ws 0");
  // Both send at once: whatever order the program took them in, both
  // clients get that one order.
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(ws->send_text("ws " + std::to_string(i)));
    ASSERT_EQ(post(server.port(), session.post_url, "sse " + std::to_string(i)), 204);
  }
  std::vector<std::string> seen_by_ws, seen_by_sse;
  for (int i = 0; i < 10; ++i) {
    const WsEvent event = ws->read(kWait);
    ASSERT_EQ(event.kind, EventKind::text) << describe(event);
    seen_by_ws.push_back(event.data);
    seen_by_sse.push_back(next_message(sse));
  }
  EXPECT_EQ(seen_by_ws, seen_by_sse);
  for (int i = 1; i <= 5; ++i) {
    EXPECT_NE(std::find(seen_by_ws.begin(), seen_by_ws.end(), "sse " + std::to_string(i)),
              seen_by_ws.end());
  }
  // One program for both: the log names the same pid for the two CONNECTs.
  std::vector<std::string> pids;
  for (const std::string& line : server.log_lines()) {
    if (contains(line, "| CONNECT")) pids.push_back(log_field(line, "pid"));
  }
  ASSERT_EQ(pids.size(), 2u) << server.log();
  EXPECT_FALSE(pids[0].empty()) << server.log();
  EXPECT_EQ(pids[0], pids[1]) << server.log();
}

TEST(SseShared, AddressedEventsCarryTheSseClientsFactsAndItsMessages) {
  TempDir dir;
  ServerProcess server({"--sse", "--shared=addressed", dir.write_file("room.py", kRoom, 0755)});
  SseTestStream sse(server.port(), "/room?x=1", {{"Origin", "http://127.0.0.1"}});
  const Session session = session_of(sse);
  const std::string id = sse_id_of(sse, session, server.port());
  ASSERT_FALSE(id.empty()) << server.diagnostics();
  const auto open = server.wait_for_log_line({R"({"event": "open", "id": ")" + id + '"'});
  ASSERT_TRUE(open) << server.diagnostics();
  EXPECT_TRUE(contains(*open, R"("remote": "127.0.0.1")")) << *open;
  EXPECT_TRUE(contains(
      *open, R"("url": "http://127.0.0.1:)" + std::to_string(server.port()) + R"(/room?x=1")"))
      << *open;
  EXPECT_TRUE(contains(*open, R"("origin": "http://127.0.0.1")")) << *open;
  EXPECT_TRUE(server.wait_for_log_line(
      {R"({"event": "message", "id": ")" + id + R"(", "data": "whoami"})"}))
      << server.diagnostics();
  // A WebSocket client's line for everyone reaches the SSE client too.
  auto ws = connect_to(server);
  ASSERT_TRUE(ws->send_text("all from the websocket"));
  EXPECT_TRUE(IsText(ws->read(kWait), "from the websocket"));
  EXPECT_EQ(next_message(sse), "from the websocket");
}

TEST(SseShared, AKickEndsTheSseStreamWithTheProgramsCodeAndReason) {
  TempDir dir;
  ServerProcess server({"--sse", "--shared=addressed", dir.write_file("room.py", kRoom, 0755)});
  SseTestStream sse(server.port(), "/");
  const Session session = session_of(sse);
  const std::string id = sse_id_of(sse, session, server.port());
  ASSERT_FALSE(id.empty()) << server.diagnostics();
  auto ws = connect_to(server);
  ASSERT_TRUE(ws->send_text("kick " + id));
  EXPECT_EQ(close_of(sse), nlohmann::json::parse(R"({"code":4000,"reason":"kicked"})"));
  EXPECT_FALSE(sse.next(2000ms));
  EXPECT_TRUE(sse.saw_last_chunk());
  // Every open has its close, a kick's too; and the session is over.
  EXPECT_TRUE(
      server.wait_for_log_line({R"({"event": "close", "id": ")" + id + R"(", "code": 4000})"}))
      << server.diagnostics();
  EXPECT_EQ(post(server.port(), session.post_url, "still there?"), 404);
}

TEST(SseShared, AnSseClientThatLeavesIsAClose1006ForTheProgram) {
  TempDir dir;
  ServerProcess server({"--sse", "--shared=addressed", dir.write_file("room.py", kRoom, 0755)});
  std::string id;
  {
    SseTestStream sse(server.port(), "/");
    const Session session = session_of(sse);
    id = sse_id_of(sse, session, server.port());
    ASSERT_FALSE(id.empty()) << server.diagnostics();
  }  // the stream closes; no --resumems: the client is gone
  EXPECT_TRUE(
      server.wait_for_log_line({R"({"event": "close", "id": ")" + id + R"(", "code": 1006})"}))
      << server.diagnostics();
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'sse'"})) << server.diagnostics();
}

TEST(SseShared, AnSseClientResumesAndGetsTheBroadcastItMissed) {
  ServerProcess server({"--sse", "--resumems=10000", "--shared", "cat"});
  Session session;
  std::string last_id;
  auto ws = connect_to(server);
  {
    SseTestStream first(server.port(), "/");
    session = session_of(first);
    ASSERT_TRUE(ws->send_text("before"));
    EXPECT_TRUE(IsText(ws->read(kWait), "before"));
    const auto event = first.next(kWait);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->data, "before");
    last_id = event->id.value_or("");
  }  // the connection breaks; the session stays a client of the program
  ASSERT_TRUE(ws->send_text("while away 1"));
  ASSERT_TRUE(ws->send_text("while away 2"));
  EXPECT_TRUE(IsText(ws->read(kWait), "while away 1"));
  EXPECT_TRUE(IsText(ws->read(kWait), "while away 2"));
  SseTestStream again(server.port(), "/?wsexec_session=" + session.token,
                      {{"Last-Event-ID", last_id}});
  ASSERT_EQ(again.status(), 200) << again.head();
  EXPECT_EQ(next_message(again), "while away 1");
  EXPECT_EQ(next_message(again), "while away 2");
  ASSERT_EQ(post(server.port(), session.post_url, "back"), 204);
  EXPECT_EQ(next_message(again), "back");
  EXPECT_TRUE(IsText(ws->read(kWait), "back"));
}

TEST(SseShared, WhenTheProgramExitsEverySseClientGetsClose1000WithTheStatus) {
  ServerProcess server({"--sse", "--shared", "sh", "-c", "read line; echo \"got $line\"; exit 3"});
  SseTestStream a(server.port(), "/");
  const Session session = session_of(a);
  SseTestStream b(server.port(), "/");
  session_of(b);
  ASSERT_EQ(post(server.port(), session.post_url, "go"), 204);
  for (SseTestStream* stream : {&a, &b}) {
    EXPECT_EQ(next_message(*stream), "got go");
    EXPECT_EQ(close_of(*stream), nlohmann::json::parse(R"({"code":1000,"reason":"exit 3"})"));
    EXPECT_FALSE(stream->next(2000ms));
    EXPECT_TRUE(stream->saw_last_chunk());
  }
}

TEST(SseShared, AnSseClientThatNeverReadsIsClosed1008WhileAWebSocketKeepsReceiving) {
  TempDir dir;
  // 1,000 lines of 1 KiB a second, in bursts of 20, forever.
  const std::string ticker = dir.write_script("ticker.sh",
                                              R"(line=$(head -c 1000 /dev/zero | tr '\0' x); n=0
         while :; do n=$((n+1)); i=0; while [ $i -lt 20 ]; do echo "$n $line"; i=$((i+1)); done; sleep 0.02; done)");
  ServerProcess server({"--sse", "--shared", "--sendqueue=65536", ticker});
  SseTestStream stalled(server.port(), "/");  // never read until the drop: its socket fills
  auto reader = connect_to(server);
  bool dropped = false;
  for (int i = 0; i < 150 && !dropped; ++i) {
    Transcript meanwhile = reader->read_for(200ms);
    ASSERT_EQ(meanwhile.end.kind, EventKind::timeout) << describe(meanwhile.end);
    dropped = contains(server.log(), "closed 1008");
  }
  ASSERT_TRUE(dropped) << server.diagnostics();
  EXPECT_TRUE(server.wait_for_log_line({"closed 1008", "transport:'sse'"})) << server.diagnostics();
  Transcript after = reader->read_for(1000ms);
  EXPECT_GT(after.messages.size(), 200u) << "ended with " << describe(after.end);
  // The stalled stream ends with 1008 once it reads what it was already given.
  EXPECT_EQ(close_of(stalled),
            nlohmann::json::parse(R"({"code":1008,"reason":"too slow to keep up"})"));
}

TEST(SseShared, WithNoForkSlotLeftANewSharedProgramIsClose1013WithoutASession) {
  TempDir dir;
  dir.write_script("a.sh", "exec cat");
  dir.write_script("b.sh", "exec cat");
  ServerProcess server({"--sse", "--shared", "--maxforks=1", "--dir=" + dir.path()});
  SseTestStream a(server.port(), "/a.sh");
  const Session session = session_of(a);
  SseTestStream b(server.port(), "/b.sh");
  ASSERT_EQ(b.status(), 200) << b.head();
  const auto refused = b.next(kWait);
  ASSERT_TRUE(refused) << server.diagnostics();
  EXPECT_EQ(refused->name, "close");  // no session event: there is no session to post to
  EXPECT_EQ(nlohmann::json::parse(refused->data),
            nlohmann::json::parse(R"({"code":1013,"reason":"too many programs running"})"));
  ASSERT_EQ(post(server.port(), session.post_url, "still here"), 204);
  EXPECT_EQ(next_message(a), "still here");
}

}  // namespace
}  // namespace wsexec_test
