// --subprotocol and --subprotocol-required: the server picks the first of
// its protocols that the client offers, answers with it and tells the
// program (WEBSOCKET_PROTOCOL); docs/compatibility.md, "Subprotocols".
#include <string>
#include <vector>

#include "harness.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

// Prints the program's WEBSOCKET_PROTOCOL, or "unset", as its first line.
std::string protocol_script(TempDir& dir) {
  return dir.write_script("protocol.sh",
                          "echo \"protocol=${WEBSOCKET_PROTOCOL-unset}\"\nexec cat\n");
}

struct Upgrade {
  std::string head;
  std::string first_line;  // the program's first line, if upgraded
};

Upgrade upgrade_offering(const ServerProcess& server, const std::vector<std::string>& offers) {
  UpgradeRequest request;
  for (const std::string& offer : offers)
    request.lines.push_back("Sec-WebSocket-Protocol: " + offer);
  RawWsConnection connection(server.port());
  Upgrade result;
  result.head = connection.request_upgrade(request);
  if (http_status_of(result.head) == 101) {
    ReadResult frame = connection.read_frame(5s);
    if (frame.end == ReadEnd::frame) result.first_line = frame.frame.payload;
  }
  return result;
}

TEST(Subprotocol, OurFirstProtocolTheClientOffersIsAnsweredAndGivenToTheProgram) {
  TempDir dir;
  ServerProcess server({"--subprotocol=chat.v2,chat.v1", protocol_script(dir)});
  const Upgrade upgrade = upgrade_offering(server, {"json, chat.v1, chat.v2"});
  ASSERT_EQ(http_status_of(upgrade.head), 101) << upgrade.head;
  EXPECT_EQ(http_header(upgrade.head, "Sec-WebSocket-Protocol"), "chat.v2") << upgrade.head;
  EXPECT_EQ(upgrade.first_line, "protocol=chat.v2");
}

TEST(Subprotocol, OffersSpreadOverSeveralHeadersAreAllSeen) {
  TempDir dir;
  ServerProcess server({"--subprotocol=chat.v2,chat.v1", protocol_script(dir)});
  const Upgrade upgrade = upgrade_offering(server, {"json", "chat.v1"});
  ASSERT_EQ(http_status_of(upgrade.head), 101) << upgrade.head;
  EXPECT_EQ(http_header(upgrade.head, "Sec-WebSocket-Protocol"), "chat.v1") << upgrade.head;
  EXPECT_EQ(upgrade.first_line, "protocol=chat.v1");
}

TEST(Subprotocol, AClientOfferingNoneOfOursIsServedWithoutOne) {
  TempDir dir;
  ServerProcess server({"--subprotocol=chat.v2", protocol_script(dir)});
  for (const auto& offers : {std::vector<std::string>{"json"}, std::vector<std::string>{}}) {
    const Upgrade upgrade = upgrade_offering(server, offers);
    ASSERT_EQ(http_status_of(upgrade.head), 101) << upgrade.head;
    EXPECT_EQ(http_header(upgrade.head, "Sec-WebSocket-Protocol"), std::nullopt) << upgrade.head;
    EXPECT_EQ(upgrade.first_line, "protocol=unset");
  }
}

TEST(Subprotocol, RequiredRefusesAClientOfferingNoneWith400AndStartsNoProgram) {
  TempDir dir;
  const std::string started = dir.file("started");
  const std::string script =
      dir.write_script("mark.sh", "echo started >> '" + started + "'\necho hello\nexec cat\n");
  ServerProcess server({"--subprotocol=chat.v2", "--subprotocol-required", script});
  for (const auto& offers : {std::vector<std::string>{"json, chat"}, std::vector<std::string>{}}) {
    const Upgrade upgrade = upgrade_offering(server, offers);
    EXPECT_EQ(http_status_of(upgrade.head), 400) << upgrade.head;
  }
  EXPECT_TRUE(server.wait_for_log_line({"BAD REQUEST", "offers none of --subprotocol"}))
      << server.diagnostics();
  const Upgrade accepted = upgrade_offering(server, {"chat.v2"});
  ASSERT_EQ(http_status_of(accepted.head), 101) << accepted.head;
  EXPECT_EQ(accepted.first_line, "hello");
  EXPECT_EQ(read_file(started), "started\n") << "a refused upgrade started its program";
}

// websocketd never answers a subprotocol (its upgrader lists none): without
// --subprotocol neither do we, whatever the client offers.
TEST(Subprotocol, WithoutTheOptionNoProtocolIsAnsweredOrSet) {
  TempDir dir;
  ServerProcess server({protocol_script(dir)});
  const Upgrade upgrade = upgrade_offering(server, {"chat.v1"});
  ASSERT_EQ(http_status_of(upgrade.head), 101) << upgrade.head;
  EXPECT_EQ(http_header(upgrade.head, "Sec-WebSocket-Protocol"), std::nullopt) << upgrade.head;
  EXPECT_EQ(upgrade.first_line, "protocol=unset");
}

TEST(Subprotocol, TheChoiceReplacesAProtocolGivenWithHeaderWs) {
  TempDir dir;
  ServerProcess server({"--header-ws=Sec-WebSocket-Protocol: legacy", "--subprotocol=chat.v2",
                        protocol_script(dir)});
  const Upgrade chosen = upgrade_offering(server, {"chat.v2"});
  ASSERT_EQ(http_status_of(chosen.head), 101) << chosen.head;
  EXPECT_EQ(http_header(chosen.head, "Sec-WebSocket-Protocol"), "chat.v2") << chosen.head;
  EXPECT_FALSE(contains(chosen.head, "legacy")) << chosen.head;
  // Nothing chosen: the operator's header goes out as before.
  const Upgrade unchosen = upgrade_offering(server, {"json"});
  ASSERT_EQ(http_status_of(unchosen.head), 101) << unchosen.head;
  EXPECT_EQ(http_header(unchosen.head, "Sec-WebSocket-Protocol"), "legacy") << unchosen.head;
  EXPECT_EQ(unchosen.first_line, "protocol=unset");
}

TEST(Subprotocol, AConformingClientGetsTheProtocolItAskedFor) {
  ServerProcess server({"--subprotocol=chat.v2,chat.v1", "cat"});
  const RunResult run = run_program(
      WSEXEC_SOURCE_DIR "/tests/integration/clients/python_ws_client.py",
      {"--port", std::to_string(server.port()), "--subprotocol", "chat.v1", "--messages", "5"},
      20s);
  ASSERT_TRUE(run.status) << "the client did not finish";
  if (run.status->exited && run.status->code == 77) GTEST_SKIP() << "python3-websockets missing";
  EXPECT_TRUE(run.status->exited && run.status->code == 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "subprotocol=chat.v1\n")) << run.out;
  EXPECT_TRUE(contains(run.out, "echoed=6\n")) << run.out;
}

}  // namespace
}  // namespace wsexec_test
