// --idlems and --lifetimems (docs/compatibility.md, "Session timeouts"): the
// session is closed with 1000 and the reason "idle" or "lifetime", its
// program is ended by the ladder, and the DISCONNECT line says why.
#include <chrono>
#include <string>
#include <thread>

#include "harness.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

// The ladder (100 + 250 + 500 ms before SIGKILL) plus slack for a loaded
// machine.
constexpr Millis kChildGoneDeadline = 2500ms;

// Prints its pid, then copies stdin to stdout: ends on EOF, the ladder's
// first step.
std::string write_pid_cat(TempDir& dir) {
  return dir.write_script("pid_cat.sh", "echo $$\nexec cat\n");
}

pid_t read_pid(WsClient& client) {
  const WsEvent event = client.read(5s);
  EXPECT_EQ(event.kind, EventKind::text) << describe(event);
  return parse_pid(event.data);
}

Millis since(Clock::time_point start) {
  return std::chrono::duration_cast<Millis>(Clock::now() - start);
}

TEST(SessionTimeouts, IdleSessionIsClosedWithReasonIdleAndItsProgramEnded) {
  TempDir dir;
  ServerProcess server({"--idlems=500", write_pid_cat(dir)});
  auto client = connect_to(server);
  const pid_t pid = read_pid(*client);  // the last activity
  const auto quiet_since = Clock::now();
  ASSERT_GT(pid, 0);
  PidCleanup cleanup;
  cleanup.add(pid);
  const WsEvent end = client->read(5s);
  const Millis waited = since(quiet_since);
  EXPECT_TRUE(IsCloseWithReason(end, 1000, "idle"));
  EXPECT_GE(waited, 400ms) << "closed before --idlems passed";
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, kChildGoneDeadline))
      << "program " << pid << " still there after the idle close";
  const auto line = server.wait_for_log_line({"| DISCONNECT"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "reason"), "idle") << *line;
  EXPECT_EQ(log_field(*line, "exit"), "0") << *line;  // cat ended on EOF
}

TEST(SessionTimeouts, ClientMessagesKeepTheSessionOpen) {
  TempDir dir;
  // Reads everything and prints nothing (its stdout stays open): only the
  // client's messages move.
  const std::string script = dir.write_script("sink.sh", "while read -r line; do :; done\n");
  ServerProcess server({"--idlems=1000", script});
  auto client = connect_to(server);
  const auto start = Clock::now();
  while (since(start) < 2500ms) {
    ASSERT_TRUE(client->send_text("still here"));
    const WsEvent event = client->read(150ms);
    ASSERT_EQ(event.kind, EventKind::timeout) << "ended while active: " << describe(event);
  }
  // Silent from now on: the idle close comes.
  EXPECT_TRUE(IsCloseWithReason(client->read(5s), 1000, "idle"));
}

TEST(SessionTimeouts, ProgramOutputKeepsTheSessionOpen) {
  TempDir dir;
  // Prints every 100 ms for about 2.5 s, then goes quiet; the client sends
  // nothing.
  const std::string script = dir.write_script(
      "ticker.sh", "for i in $(seq 25); do echo tick; sleep 0.1; done\nexec sleep 30\n");
  ServerProcess server({"--idlems=1000", script});
  auto client = connect_to(server);
  int ticks = 0;
  for (WsEvent event = client->read(5s); event.is_message(); event = client->read(5s)) {
    ++ticks;
    if (ticks == 25) break;
  }
  EXPECT_EQ(ticks, 25) << "the output did not keep the session open";
  EXPECT_TRUE(IsCloseWithReason(client->read(5s), 1000, "idle"));
}

TEST(SessionTimeouts, PingsDoNotCountAsActivity) {
  TempDir dir;
  ServerProcess server({"--idlems=800", "--pingms=100", write_pid_cat(dir)});
  auto connection = RawWsConnection::upgraded(server.port());
  const auto start = Clock::now();
  // The client pings every 100 ms and answers the server's pings (it reads
  // them; Beast's pongs to ours do not count either).
  std::string pid_text;
  bool closed = false;
  int close_code = -1;
  std::string close_reason;
  while (!closed && since(start) < 5s) {
    OutFrame ping;
    ping.opcode = opcode::ping;
    ping.payload = "keepalive";
    ASSERT_TRUE(connection->send_frame(ping));
    const auto deadline = Clock::now() + 100ms;
    while (Clock::now() < deadline) {
      const ReadResult result =
          connection->read_frame(std::chrono::duration_cast<Millis>(deadline - Clock::now()) + 1ms);
      if (result.end != ReadEnd::frame) break;
      const InFrame& frame = result.frame;
      if (frame.opcode == opcode::text) pid_text += frame.payload;
      if (frame.opcode == opcode::ping) {
        OutFrame pong;
        pong.opcode = opcode::pong;
        pong.payload = frame.payload;
        connection->send_frame(pong);
      }
      if (frame.opcode == opcode::close) {
        closed = true;
        close_code = frame.close_code();
        close_reason = frame.close_reason();
        break;
      }
    }
  }
  PidCleanup cleanup;
  cleanup.add(parse_pid(pid_text));
  ASSERT_TRUE(closed) << "pings kept the session open";
  EXPECT_EQ(close_code, 1000);
  EXPECT_EQ(close_reason, "idle");
  EXPECT_GE(since(start), 700ms);
}

TEST(SessionTimeouts, LifetimeClosesABusySessionAndEndsItsProgram) {
  TempDir dir;
  ServerProcess server({"--lifetimems=1000", "--idlems=5000", write_pid_cat(dir)});
  const auto connected = Clock::now();
  auto client = connect_to(server);
  const pid_t pid = read_pid(*client);
  ASSERT_GT(pid, 0);
  PidCleanup cleanup;
  cleanup.add(pid);
  WsEvent end;
  while (since(connected) < 5s && end.kind != EventKind::closed && end.kind != EventKind::error) {
    // A send can fail once the server has closed; the read then returns the close.
    client->send_text("busy");
    do {
      end = client->read(100ms);
    } while (end.kind == EventKind::text);  // the echoes
  }
  EXPECT_TRUE(IsCloseWithReason(end, 1000, "lifetime"));
  EXPECT_GE(since(connected), 900ms) << "closed before --lifetimems passed";
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, kChildGoneDeadline))
      << "program " << pid << " still there after the lifetime close";
  const auto line = server.wait_for_log_line({"| DISCONNECT"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "reason"), "lifetime") << *line;
}

TEST(SessionTimeouts, AStubbornProgramIsStillEndedByTheLadderAfterATimeout) {
  TempDir dir;
  const std::string script =
      dir.write_script("stubborn.sh", "trap '' INT TERM\necho $$\nexec sleep 30\n");
  ServerProcess server({"--lifetimems=300", script});
  auto client = connect_to(server);
  const pid_t pid = read_pid(*client);
  ASSERT_GT(pid, 0);
  PidCleanup cleanup;
  cleanup.add(pid);
  EXPECT_TRUE(IsCloseWithReason(client->read(5s), 1000, "lifetime"));
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, kChildGoneDeadline));
  const auto line = server.wait_for_log_line({"| DISCONNECT"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "exit"), "signal 9") << *line;
}

TEST(SessionTimeouts, OffByDefault) {
  TempDir dir;
  ServerProcess server({write_pid_cat(dir)});
  auto client = connect_to(server);
  const pid_t pid = read_pid(*client);
  PidCleanup cleanup;
  cleanup.add(pid);
  EXPECT_EQ(client->read(1500ms).kind, EventKind::timeout);
  ASSERT_TRUE(client->close());
}

}  // namespace
}  // namespace wsexec_test
