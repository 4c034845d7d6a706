// The server as a whole: graceful stop on signals, and robustness against
// crashing children and misbehaving clients (issue 2, item 6).
#include <signal.h>

#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// The server is healthy if a fresh connection still echoes through cat.
testing::AssertionResult StillServes(ServerProcess& server) {
  if (!server.running()) {
    return testing::AssertionFailure() << "the server is gone\n" << server.diagnostics();
  }
  HandshakeResult result = WsClient::handshake(client_options(server));
  if (!result.client) {
    return testing::AssertionFailure() << "new connection refused: " << result.error << "\n"
                                       << server.diagnostics();
  }
  if (!result.client->send_text("still alive")) {
    return testing::AssertionFailure() << "cannot send on a new connection";
  }
  WsEvent echo = result.client->read(5s);
  if (echo.kind != EventKind::text || echo.data != "still alive") {
    return testing::AssertionFailure() << "no echo on a new connection: " << describe(echo);
  }
  return testing::AssertionSuccess();
}

void expect_graceful_stop_on(int signal) {
  TempDir dir;
  std::string script = dir.write_script("pid_cat.sh", "echo $$\nexec cat\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  WsEvent pid_message = client->read(5s);
  ASSERT_EQ(pid_message.kind, EventKind::text) << describe(pid_message);
  pid_t child = parse_pid(pid_message.data);
  ASSERT_GT(child, 0);
  PidCleanup cleanup;
  cleanup.add(child);

  server.send_signal(signal);
  EXPECT_TRUE(IsClose(client->read(2500ms), 1001));
  std::optional<ExitStatus> status = server.wait_exit(2500ms);
  ASSERT_TRUE(status.has_value()) << "still running 2.5 s after the signal\n"
                                  << server.diagnostics();
  EXPECT_TRUE(status->exited && status->code == 0) << describe(*status);
  EXPECT_FALSE(process_running(child)) << "the child outlived the server";
}

TEST(Server, SigtermClosesSessionsWith1001EndsChildrenAndExitsZero) {
  expect_graceful_stop_on(SIGTERM);
}

TEST(Server, SigintClosesSessionsWith1001EndsChildrenAndExitsZero) {
  expect_graceful_stop_on(SIGINT);
}

TEST(Server, CrashingChildDoesNotTakeTheServerDown) {
  TempDir dir;
  std::string script = dir.write_script("crash.sh", "ulimit -c 0\necho before\nkill -SEGV $$\n");
  ServerProcess server({script});
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto client = connect_to(server);
    EXPECT_TRUE(IsText(client->read(5s), "before"));
    WsEvent end = client->read(5s);
    EXPECT_TRUE(end.kind == EventKind::closed || end.kind == EventKind::error) << describe(end);
  }
  EXPECT_TRUE(server.running()) << server.diagnostics();
}

TEST(Server, GarbageInsteadOfHttpDoesNotTakeTheServerDown) {
  ServerProcess server({"cat"});
  {
    RawConnection garbage("127.0.0.1", server.port());
    // Bytes of a TLS hello, NULs, a line that is no request line.
    ASSERT_TRUE(garbage.send_all(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) +
                                 std::string(300, '\0') + "NOT HTTP AT ALL\r\n\r\n"));
    bool closed = false;
    garbage.read_until_closed(5s, &closed);
    EXPECT_TRUE(closed) << "the server kept a garbage connection open";
  }
  EXPECT_TRUE(StillServes(server));
}

TEST(Server, GarbageFramesAfterTheUpgradeDoNotTakeTheServerDown) {
  ServerProcess server({"cat"});
  {
    RawConnection connection("127.0.0.1", server.port());
    ASSERT_TRUE(connection.send_all(upgrade_request("127.0.0.1:" + std::to_string(server.port()))));
    std::string answer = connection.read_until("\r\n\r\n", 5s);
    ASSERT_EQ(http_status_of(answer), 101) << answer;
    // Reserved opcode, reserved bits, unmasked: a protocol error three ways.
    ASSERT_TRUE(connection.send_all(std::string("\xff\x7f", 2) + std::string(200, '\xee')));
    bool closed = false;
    connection.read_until_closed(5s, &closed);
    EXPECT_TRUE(closed) << "the server kept a connection with invalid frames open";
  }
  EXPECT_TRUE(StillServes(server));
}

TEST(Server, ClientVanishingMidFrameDoesNotTakeTheServerDown) {
  ServerProcess server({"cat"});
  {
    RawConnection connection("127.0.0.1", server.port());
    ASSERT_TRUE(connection.send_all(upgrade_request("127.0.0.1:" + std::to_string(server.port()))));
    std::string answer = connection.read_until("\r\n\r\n", 5s);
    ASSERT_EQ(http_status_of(answer), 101) << answer;
    // A masked text frame announcing 100 bytes, cut after 10 of them.
    std::string frame = "\x81\xe4";
    frame += "\x01\x02\x03\x04";
    frame += std::string(10, 'z');
    ASSERT_TRUE(connection.send_all(frame));
    connection.reset();
  }
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT"}).has_value())
      << "the session of the vanished client did not end\n"
      << server.diagnostics();
  EXPECT_TRUE(StillServes(server));
}

// The child is started while the 101 is on its way. A client that leaves
// before the handshake is done still had a child started: it must be ended
// and reaped, and its descriptors closed.
TEST(Server, ClientLeavingDuringTheHandshakeLeavesNoChildNorDescriptor) {
  ServerProcess server({"cat"});
  auto client = connect_to(server);  // one full session: what is set up lazily
  ASSERT_TRUE(client->close(1000, 5s));
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 5s));
  const int baseline = open_descriptor_count(server.pid());
  ASSERT_GT(baseline, 0);

  for (int i = 0; i < 20; ++i) {
    RawConnection connection("127.0.0.1", server.port());
    ASSERT_TRUE(connection.send_all(upgrade_request("127.0.0.1:" + std::to_string(server.port()))));
    connection.reset();  // gone before reading the 101
  }
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 5s))
      << children_of(server.pid()).size() << " children (zombies?) left";
  EXPECT_TRUE(wait_until([&] { return open_descriptor_count(server.pid()) <= baseline; }, 5s))
      << open_descriptor_count(server.pid()) << " descriptors open, " << baseline << " before";
  EXPECT_TRUE(StillServes(server));
}

TEST(Server, ReapsEveryChildAndLeaksNoDescriptor) {
  TempDir dir;
  std::string script = dir.write_script("hello.sh", "echo hello\n");
  ServerProcess server({script});
  auto session = [&] {
    auto client = connect_to(server);
    Transcript transcript = client->read_until_end(5s);
    EXPECT_EQ(transcript.texts(), std::vector<std::string>{"hello"})
        << "ended with " << describe(transcript.end);
  };
  auto disconnects = [&] {
    int count = 0;
    for (const std::string& line : server.log_lines()) count += contains(line, "| DISCONNECT");
    return count;
  };
  // A first session creates whatever the server sets up lazily.
  session();
  ASSERT_TRUE(wait_until([&] { return disconnects() == 1; }, 5s)) << server.diagnostics();
  const int baseline = open_descriptor_count(server.pid());
  ASSERT_GT(baseline, 0);

  constexpr int kSessions = 20;
  for (int i = 0; i < kSessions; ++i) session();
  ASSERT_TRUE(wait_until([&] { return disconnects() == 1 + kSessions; }, 5s))
      << server.diagnostics();
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 5s))
      << children_of(server.pid()).size() << " children (zombies?) left";
  EXPECT_TRUE(wait_until([&] { return open_descriptor_count(server.pid()) <= baseline; }, 5s))
      << open_descriptor_count(server.pid()) << " descriptors open, " << baseline << " before";
}

}  // namespace
}  // namespace wsexec_test
