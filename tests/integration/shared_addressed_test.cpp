// --shared=addressed: JSON Lines both ways (docs/shared.md).
#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

constexpr Millis kWait = 10000ms;

// A tiny addressed program in Python: answers "whoami" to the sender,
// "all X" to everyone, "kick ID" closes that client with 4000, and "bad"
// prints a line that is not a command. Every event it got is logged to
// its stderr (the server's log) for the tests to read.
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
    elif text.startswith("both "):
        a, b = text.split()[1:3]
        print(json.dumps({"to": [a, b], "data": "to both"}), flush=True)
    elif text.startswith("kick "):
        print(json.dumps({"close": text[5:], "code": 4000, "reason": "kicked"}), flush=True)
    elif text == "bad":
        print("this is not JSON", flush=True)
        print(json.dumps({"data": "after bad"}), flush=True)
)";

std::string id_of(WsClient& client) {
  if (!client.send_text("whoami")) return "";
  WsEvent event = client.read(kWait);
  const std::string prefix = "you are ";
  return event.is_message() && event.data.starts_with(prefix) ? event.data.substr(prefix.size())
                                                              : "";
}

TEST(SharedAddressed, MessagesGoToTheNamedClientsOnly) {
  TempDir dir;
  ServerProcess server({"--shared=addressed", dir.write_file("room.py", kRoom, 0755)});
  auto a = connect_to(server);
  auto b = connect_to(server);
  auto c = connect_to(server);
  const std::string id_a = id_of(*a), id_b = id_of(*b);
  ASSERT_FALSE(id_a.empty());
  ASSERT_FALSE(id_b.empty());
  EXPECT_NE(id_a, id_b);
  ASSERT_TRUE(c->send_text("both " + id_a + " " + id_b));
  EXPECT_TRUE(IsText(a->read(kWait), "to both"));
  EXPECT_TRUE(IsText(b->read(kWait), "to both"));
  ASSERT_TRUE(c->send_text("all hello"));
  for (auto* client : {a.get(), b.get(), c.get()})
    EXPECT_TRUE(IsText(client->read(kWait), "hello"));
  // c got nothing addressed to a and b, and a nothing of the others' whoami.
  EXPECT_EQ(c->read(300ms).kind, EventKind::timeout);
}

TEST(SharedAddressed, TheProgramSeesOpenMessageAndCloseEvents) {
  TempDir dir;
  ServerProcess server({"--shared=addressed", dir.write_file("room.py", kRoom, 0755)});
  auto a = connect_to(server, "/room?x=1");
  const std::string id = id_of(*a);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(a->close(1000));
  auto open = server.wait_for_log_line({R"({"event": "open", "id": ")" + id});
  ASSERT_TRUE(open.has_value()) << server.diagnostics();
  EXPECT_TRUE(contains(*open, R"("remote": "127.0.0.1")")) << *open;
  EXPECT_TRUE(contains(*open, "/room?x=1")) << *open;
  EXPECT_TRUE(
      server.wait_for_log_line({R"({"event": "message", "id": ")" + id + R"(", "data": "whoami"})"})
          .has_value())
      << server.diagnostics();
  EXPECT_TRUE(
      server.wait_for_log_line({R"({"event": "close", "id": ")" + id + R"(", "code": 1000})"})
          .has_value())
      << server.diagnostics();
}

TEST(SharedAddressed, TheProgramCanKickAClient) {
  TempDir dir;
  ServerProcess server({"--shared=addressed", dir.write_file("room.py", kRoom, 0755)});
  auto a = connect_to(server);
  auto b = connect_to(server);
  const std::string id_b = id_of(*b);
  ASSERT_FALSE(id_b.empty());
  ASSERT_TRUE(a->send_text("kick " + id_b));
  Transcript kicked = b->read_until_end(kWait);
  EXPECT_TRUE(IsClose(kicked.end, 4000));
  EXPECT_EQ(kicked.end.reason, "kicked");
  EXPECT_FALSE(id_of(*a).empty()) << "the others stay";
}

TEST(SharedAddressed, ALineThatIsNoCommandIsLoggedAndSentToNobody) {
  TempDir dir;
  ServerProcess server({"--shared=addressed", dir.write_file("room.py", kRoom, 0755)});
  auto a = connect_to(server);
  ASSERT_TRUE(a->send_text("bad"));
  EXPECT_TRUE(IsText(a->read(kWait), "after bad"));
  auto logged = server.wait_for_log_line({"| ERROR", "sent to nobody", "this is not JSON"});
  EXPECT_TRUE(logged.has_value()) << server.diagnostics();
}

TEST(SharedAddressed, TheProgramKnowsItsModeAndNoClientsFacts) {
  TempDir dir;
  ServerProcess server(
      {"--shared=addressed",
       dir.write_script(
           "env.sh",
           R"(printf '{"data":"%s %s"}\n' "$WSEXEC_SHARED" "${REMOTE_ADDR-none}"; exec cat >/dev/null)")});
  auto a = connect_to(server);
  EXPECT_TRUE(IsText(a->read(kWait), "addressed none"));
}

}  // namespace
}  // namespace wsexec_test
