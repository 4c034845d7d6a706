// How a connection and its child end (docs/compatibility.md, "Ending"), and
// what the child is given ("One connection", "Starting the program").
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "harness.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

// The ladder (100 + 250 + 500 ms before SIGKILL) plus generous slack for a
// loaded machine: a child still alive after this was not ended properly.
constexpr Millis kChildGoneDeadline = 2500ms;

// Reads the first message, which the test scripts use to tell PIDs.
std::vector<pid_t> read_pids(WsClient& client) {
  WsEvent event = client.read(5s);
  EXPECT_EQ(event.kind, EventKind::text) << describe(event);
  std::vector<pid_t> pids;
  for (const std::string& word : split_words(event.data)) pids.push_back(parse_pid(word));
  return pids;
}

// A program that prints its pid, reads stdin to its end, then writes "eof"
// to `marker`. It ignores SIGINT, so that a slow machine cannot turn a test
// into a race with the ladder's first signal: SIGTERM (at 350 ms) kills it
// before it writes the marker unless its stdin was closed.
std::string write_stdin_end_marker_script(TempDir& dir, const std::string& marker) {
  return dir.write_script(
      "graceful.sh",
      "trap '' INT\necho $$\nwhile read -r line; do :; done\necho eof > '" + marker + "'\n");
}

TEST(Lifecycle, ChildExitDeliversAllOutputThenCloses1000) {
  TempDir dir;
  std::string script = dir.write_script("count.sh", "seq 1 5000\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  Transcript transcript = client->read_until_end(5s);
  ASSERT_EQ(transcript.messages.size(), 5000u) << describe(transcript.end);
  EXPECT_TRUE(IsText(transcript.messages.front(), "1"));
  EXPECT_TRUE(IsText(transcript.messages.back(), "5000"));
  EXPECT_TRUE(IsClose(transcript.end, 1000));
}

TEST(Lifecycle, ChildClosingStdoutEndsTheSessionWith1000) {
  TempDir dir;
  // The child lives on after closing stdout: EOF alone ends the session.
  std::string script = dir.write_script("close_stdout.sh", "echo bye\nexec 1>&-\nsleep 5\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  EXPECT_TRUE(IsText(client->read(5s), "bye"));
  EXPECT_TRUE(IsClose(client->read(5s), 1000));
}

TEST(Lifecycle, ClientCloseClosesChildStdinFirst) {
  TempDir dir;
  // A well-behaved child ends on EOF by itself.
  std::string marker = dir.file("marker");
  ServerProcess server({write_stdin_end_marker_script(dir, marker)});
  auto client = connect_to(server);
  std::vector<pid_t> pids = read_pids(*client);
  ASSERT_EQ(pids.size(), 1u);
  PidCleanup cleanup;
  cleanup.add(pids[0]);
  ASSERT_TRUE(client->close());
  EXPECT_TRUE(wait_until([&] { return !process_exists(pids[0]); }, kChildGoneDeadline));
  EXPECT_EQ(read_file(marker), "eof\n");
}

// The close frame is the client's goodbye, as under websocketd: its
// program's stdin closes then, not once the client has also ended the TCP
// connection. A client that keeps the connection open after its close
// frame (this raw one never sends its FIN) used to leave its program
// reading stdin for as long as it held the connection.
TEST(Lifecycle, ClientCloseFrameClosesChildStdinWhileTheConnectionStaysOpen) {
  TempDir dir;
  std::string marker = dir.file("marker");
  ServerProcess server({write_stdin_end_marker_script(dir, marker)});
  auto connection = RawWsConnection::upgraded(server.port());
  ReadResult first = connection->read_frame(5s);
  ASSERT_EQ(first.end, ReadEnd::frame) << describe(first.frame);
  const pid_t pid = parse_pid(first.frame.payload);
  PidCleanup cleanup;
  cleanup.add(pid);
  ASSERT_TRUE(connection->send_frame({.opcode = opcode::close, .payload = close_payload(1000)}));
  ReadResult reply = connection->read_frame(5s);
  ASSERT_EQ(reply.end, ReadEnd::frame);
  EXPECT_EQ(reply.frame.opcode, opcode::close) << describe(reply.frame);
  EXPECT_EQ(reply.frame.close_code(), 1000);
  EXPECT_TRUE(wait_until([&] { return read_file(marker) == "eof\n"; }, kChildGoneDeadline));
  // It is reaped when the session ends, once we close our end too: until
  // then its pid, which is its process group's id, stays reserved for the
  // kill of whatever is left of that group.
  connection.reset();
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, kChildGoneDeadline));
}

// A client that sends its close frame while our output to it is stuck (it
// reads nothing; the program floods) and then resets the connection: the
// program's stdin closed at the close frame, and once the client is gone the
// session ends, its program's process group is killed and it is reaped. The
// close reply, queued behind the stuck write, used to wait for ever once that
// write failed, and the session with it.
TEST(Lifecycle, ClientCloseFrameWhileOurOutputIsStuckThenAResetEndsTheSession) {
  TempDir dir;
  const std::string marker = dir.file("marker");
  const std::string script = dir.write_script(
      "flood.sh",
      "trap '' INT\necho $$\n( echo $BASHPID; while :; do printf '%065535d\\n' 0; done ) &\n"
      "while read -r line; do :; done\necho eof > '" +
          marker + "'\n");
  ServerProcess server({script});
  auto connection = RawWsConnection::upgraded(server.port());
  ReadResult first = connection->read_frame(5s);
  ASSERT_EQ(first.end, ReadEnd::frame) << describe(first.frame);
  ReadResult second = connection->read_frame(5s);
  ASSERT_EQ(second.end, ReadEnd::frame) << describe(second.frame);
  const pid_t pid = parse_pid(first.frame.payload);
  const pid_t flooder = parse_pid(second.frame.payload);
  PidCleanup cleanup;
  cleanup.add(pid);
  cleanup.add(flooder);
  // Unread, the flood fills the socket's buffers (a few MiB) within this.
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(connection->send_frame({.opcode = opcode::close, .payload = close_payload(1000)}));
  EXPECT_TRUE(wait_until([&] { return read_file(marker) == "eof\n"; }, kChildGoneDeadline));
  connection->reset();  // SO_LINGER 0: a reset
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid) && !process_exists(flooder); },
                         kChildGoneDeadline));
}

// A program still reading what the client sent when the client closes
// (here 640 KiB, read a line per 20 ms): the ladder's first wait goes on
// while it reads, so it gets every message before its EOF, and it exits
// on that EOF, not on SIGINT with the client's last messages unread.
TEST(Lifecycle, AProgramStillReadingWhatTheClientSentBeforeItsCloseGetsAllOfIt) {
  TempDir dir;
  const std::string got = dir.file("got");
  const std::string script =
      dir.write_script("slow_reader.sh",
                       "sleep 1\nwhile IFS= read -r line; do printf '%s\\n' \"$line\"; sleep 0.02; "
                       "done > '" +
                           got + "'\necho done >> '" + got + "'\n");
  ServerProcess server({script});
  auto client = RawWsConnection::upgraded(server.port());
  const OutFrame message{.opcode = opcode::text, .payload = std::string(16383, 'x')};
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(client->send_frame(message, 10s)) << "message " << i;
  ASSERT_TRUE(client->send_frame({.opcode = opcode::close, .payload = close_payload(1000)}));
  ReadResult reply = client->read_frame(5s);
  while (reply.end == ReadEnd::frame && reply.frame.opcode == opcode::ping) {
    reply = client->read_frame(5s);  // the paused client's probe (it was pushed back)
  }
  ASSERT_EQ(reply.end, ReadEnd::frame);
  EXPECT_EQ(reply.frame.opcode, opcode::close);
  client.reset();  // our end of the connection: the session is over, the program reads on
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 15s, 20ms));
  const std::string all = read_file(got);
  EXPECT_EQ(all.size(), 40u * 16384 + 5) << "the program was ended before it had read everything";
  EXPECT_EQ(all.substr(all.size() - std::min<std::size_t>(all.size(), 5)), "done\n")
      << "ended by a signal, not by its EOF";
}

TEST(Lifecycle, ClientCloseEndsChildAndGrandchild) {
  TempDir dir;
  // bash waits for its background sleep; the sleep is the grandchild that
  // websocketd leaves behind because it signals only the child.
  std::string script = dir.write_script("parent.sh", "sleep 30 &\necho \"$$ $!\"\nwait\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  std::vector<pid_t> pids = read_pids(*client);
  ASSERT_EQ(pids.size(), 2u);
  PidCleanup cleanup;
  for (pid_t pid : pids) cleanup.add(pid);
  ASSERT_TRUE(process_running(pids[0]));
  ASSERT_TRUE(process_running(pids[1]));

  ASSERT_TRUE(client->close());
  EXPECT_TRUE(wait_until([&] { return !process_exists(pids[0]); }, kChildGoneDeadline))
      << "child " << pids[0] << " still there (or not reaped)";
  // The grandchild is reaped by init, not by the server: being a zombie for
  // a moment is fine, running is not.
  EXPECT_TRUE(wait_until([&] { return !process_running(pids[1]); }, kChildGoneDeadline))
      << "grandchild " << pids[1] << " still running";
}

TEST(Lifecycle, ClientVanishingEndsChild) {
  TempDir dir;
  std::string script = dir.write_script("pid_cat.sh", "echo $$\nexec cat\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  std::vector<pid_t> pids = read_pids(*client);
  ASSERT_EQ(pids.size(), 1u);
  PidCleanup cleanup;
  cleanup.add(pids[0]);
  client->abort();  // no close frame: the TCP connection just goes away
  EXPECT_TRUE(wait_until([&] { return !process_exists(pids[0]); }, kChildGoneDeadline));
}

TEST(Lifecycle, ChildIgnoringSigintAndSigtermIsKilled) {
  TempDir dir;
  // Ignored signals stay ignored across exec, so sleep ignores them too; it
  // does not read stdin either, so only SIGKILL can end it.
  std::string script =
      dir.write_script("stubborn.sh", "trap '' INT TERM\necho $$\nexec sleep 30\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  std::vector<pid_t> pids = read_pids(*client);
  ASSERT_EQ(pids.size(), 1u);
  PidCleanup cleanup;
  cleanup.add(pids[0]);
  ASSERT_TRUE(client->close());
  EXPECT_TRUE(wait_until([&] { return !process_exists(pids[0]); }, kChildGoneDeadline))
      << "child " << pids[0] << " survived the termination ladder";
}

TEST(Lifecycle, ClosemsAddsGraceToEachStepOfTheLadder) {
  TempDir dir;
  std::string script =
      dir.write_script("stubborn.sh", "trap '' INT TERM\necho $$\nexec sleep 30\n");
  // 100 + 250 + 500 ms plus 3 x 600 ms: SIGKILL comes after about 2.65 s.
  ServerProcess server({"--closems=600", script});
  auto client = connect_to(server);
  std::vector<pid_t> pids = read_pids(*client);
  ASSERT_EQ(pids.size(), 1u);
  PidCleanup cleanup;
  cleanup.add(pids[0]);
  const auto closed_at = Clock::now();
  ASSERT_TRUE(client->close());
  std::this_thread::sleep_for(1500ms - (Clock::now() - closed_at));
  EXPECT_TRUE(process_running(pids[0])) << "killed before the extra grace was over";
  EXPECT_TRUE(wait_until([&] { return !process_exists(pids[0]); }, 3500ms))
      << "child " << pids[0] << " survived the termination ladder";
}

TEST(Lifecycle, ChildHasOnlyStandardDescriptorsOnPipes) {
  TempDir dir;
  // After exec, sleep holds exactly what the server gave the child (bash's
  // own script descriptor is close-on-exec). It is inspected from outside,
  // so that nothing the inspection opens is counted.
  std::string script = dir.write_script("fds.sh", "echo $$\nexec sleep 30\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  std::vector<pid_t> pids = read_pids(*client);
  ASSERT_EQ(pids.size(), 1u);
  PidCleanup cleanup;
  cleanup.add(pids[0]);
  ASSERT_TRUE(wait_until([&] { return process_name(pids[0]) == "sleep"; }, 5s));
  EXPECT_EQ(open_descriptors(pids[0]), (std::vector<int>{0, 1, 2}));
  for (int fd : {0, 1, 2}) {
    EXPECT_EQ(descriptor_target(pids[0], fd).rfind("pipe:", 0), 0u)
        << "fd " << fd << " is " << descriptor_target(pids[0], fd);
  }
}

TEST(Lifecycle, ChildInheritsTheRaisedDescriptorLimitAsUnderWebsocketd) {
  // The server raises its soft RLIMIT_NOFILE to the hard limit for its own
  // connections, and its children inherit the raised one: websocketd 0.4.1
  // (Go 1.19) does the same, so a program that opens many files keeps
  // working when the server is swapped.
  rlimit ours{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &ours), 0);
  if (ours.rlim_max != RLIM_INFINITY && ours.rlim_max <= 512) {
    GTEST_SKIP() << "hard descriptor limit too low to tell raised from given";
  }
  rlimit lowered = ours;
  lowered.rlim_cur = 512;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);  // what the server inherits
  std::optional<ServerProcess> server;
  server.emplace(std::vector<std::string>{"/bin/sh", "-c", "ulimit -Sn; ulimit -Hn"});
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &ours), 0);
  auto client = connect_to(*server);
  Transcript transcript = client->read_until_end(5s);
  const std::string hard =
      ours.rlim_max == RLIM_INFINITY ? "unlimited" : std::to_string(ours.rlim_max);
  EXPECT_EQ(transcript.texts(), (std::vector<std::string>{hard, hard}));
}

TEST(Lifecycle, ExecFailureClosesWith1011AndLogsTheReason) {
  TempDir dir;
  std::string script = dir.write_script("soon_not_executable.sh", "echo never\n");
  ServerProcess server({script});
  // Valid at start-up, not any more when the connection comes.
  ASSERT_EQ(::chmod(script.c_str(), 0644), 0);
  auto client = connect_to(server);
  Transcript transcript = client->read_until_end(5s);
  EXPECT_TRUE(transcript.messages.empty());
  EXPECT_TRUE(IsClose(transcript.end, 1011));
  // The errno's text, in whichever case (websocketd writes Go's lower case).
  EXPECT_TRUE(
      wait_until([&] { return contains_ignoring_case(server.log(), "Permission denied"); }, 5s))
      << server.diagnostics();
}

TEST(Lifecycle, MissingCommandAtConnectionTimeClosesWith1011AndLogsTheReason) {
  TempDir dir;
  std::string script = dir.write_script("soon_gone.sh", "echo never\n");
  ServerProcess server({script});
  ASSERT_EQ(std::remove(script.c_str()), 0);
  auto client = connect_to(server);
  Transcript transcript = client->read_until_end(5s);
  EXPECT_TRUE(transcript.messages.empty());
  EXPECT_TRUE(IsClose(transcript.end, 1011));
  // The errno's text, in whichever case (websocketd writes Go's lower case).
  EXPECT_TRUE(wait_until([&] { return contains_ignoring_case(server.log(), "No such file"); }, 5s))
      << server.diagnostics();
}

}  // namespace
}  // namespace wsexec_test
