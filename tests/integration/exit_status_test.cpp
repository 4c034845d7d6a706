// How the program ended reaches the client and the log (docs/compatibility.md,
// "Close codes"): the close frame's reason says "exit N" or "signal N" with
// code 1000, and the DISCONNECT line carries exit:'N' (or exit:'signal N'),
// also when the client left first or the ladder ended the program.
#include <string>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// The exit:'...' field of the DISCONNECT line ("" when it has none).
std::string disconnect_exit_field(const ServerProcess& server) {
  const auto line = server.wait_for_log_line({"| ACCESS |", "| DISCONNECT"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
  return line ? log_field(*line, "exit") : "";
}

struct EndingCase {
  const char* name;
  const char* script;
  const char* close_reason;
  const char* log_value;
};

const EndingCase kEndings[] = {
    {"Exit0", "echo hi\n", "exit 0", "0"},
    {"Exit3", "echo hi\nexit 3\n", "exit 3", "3"},
    {"KilledBySignal9", "echo hi\nkill -KILL $$\n", "signal 9", "signal 9"},
};

void PrintTo(const EndingCase& ending, std::ostream* out) {
  *out << ending.name;
}

class ProgramEnding : public testing::TestWithParam<std::tuple<EndingCase, bool>> {};

TEST_P(ProgramEnding, CloseReasonAndDisconnectLineSayHowItEnded) {
  const auto& [ending, binary] = GetParam();
  TempDir dir;
  const std::string script = dir.write_script("ends.sh", ending.script);
  std::vector<std::string> args = {script};
  if (binary) args.insert(args.begin(), "--binary");
  ServerProcess server(args);
  auto client = connect_to(server);
  Transcript transcript = client->read_until_end(5s);
  // Everything printed arrives first, then the close: still 1000.
  ASSERT_EQ(transcript.messages.size(), 1u) << describe(transcript.end);
  EXPECT_EQ(transcript.messages[0].kind, binary ? EventKind::binary : EventKind::text);
  EXPECT_TRUE(IsCloseWithReason(transcript.end, 1000, ending.close_reason));
  EXPECT_EQ(disconnect_exit_field(server), ending.log_value);
}

INSTANTIATE_TEST_SUITE_P(LineAndBinary, ProgramEnding,
                         testing::Combine(testing::ValuesIn(kEndings), testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).name) +
                                  (std::get<1>(info.param) ? "Binary" : "Line");
                         });

TEST(ExitStatus, ProgramThatOnlyClosesStdoutIsEndedByTheLadderAndTheCloseSaysSo) {
  TempDir dir;
  // stdout ends while the program lives on: the ladder's SIGINT ends it,
  // and the close frame waits for that exit to name it.
  const std::string script = dir.write_script("close_stdout.sh", "echo bye\nexec 1>&- sleep 30\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  EXPECT_TRUE(IsText(client->read(5s), "bye"));
  EXPECT_TRUE(IsCloseWithReason(client->read(5s), 1000, "signal 2"));
  EXPECT_EQ(disconnect_exit_field(server), "signal 2");
}

TEST(ExitStatus, ClientLeavingFirstLogsTheExitCodeOfAProgramThatEndsOnEof) {
  TempDir dir;
  const std::string script = dir.write_script("eof.sh", "echo ready\ncat >/dev/null\nexit 4\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  ASSERT_TRUE(IsText(client->read(5s), "ready"));
  ASSERT_TRUE(client->close());
  EXPECT_EQ(disconnect_exit_field(server), "4");
}

TEST(ExitStatus, ClientLeavingFirstLogsTheSignalThatTheLadderEndedTheProgramWith) {
  TempDir dir;
  // Ignores EOF and SIGINT: the ladder's SIGTERM is what ends it.
  const std::string script =
      dir.write_script("stubborn.sh", "trap '' INT\necho $$\nexec sleep 30\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  const WsEvent pid_message = client->read(5s);
  ASSERT_EQ(pid_message.kind, EventKind::text) << describe(pid_message);
  PidCleanup cleanup;
  cleanup.add(parse_pid(pid_message.data));
  ASSERT_TRUE(client->close());
  EXPECT_EQ(disconnect_exit_field(server), "signal 15");
}

}  // namespace
}  // namespace wsexec_test
