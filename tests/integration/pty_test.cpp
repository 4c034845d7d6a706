// --pty: the program as a terminal session (issue 14, item 2).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "harness.hpp"
#include "terminal_common.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

// The first line of `path` once it has one, or "" after `timeout`.
std::string wait_for_file_line(const std::string& path, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    std::ifstream file(path);
    std::string line;
    if (std::getline(file, line) && !line.empty()) return line;
    std::this_thread::sleep_for(20ms);
  }
  return "";
}

TEST(Pty, WindowSizeComesFromTheUrlOrDefaultsTo80x24) {
  TempDir dir;
  const std::string script = dir.write_script("size.sh", "echo \"size $(stty size)\"");
  ServerProcess server({"--pty", script});
  {
    auto client = connect_to(server, "/?cols=132&rows=43");
    EXPECT_NE(gather_to_end(*client).bytes.find("size 43 132\r\n"), std::string::npos);
  }
  {
    auto client = connect_to(server, "/");
    EXPECT_NE(gather_to_end(*client).bytes.find("size 24 80\r\n"), std::string::npos);
  }
  {
    auto client = connect_to(server, "/?cols=0&rows=999999");
    EXPECT_NE(gather_to_end(*client).bytes.find("size 1000 1\r\n"), std::string::npos);
  }
}

TEST(Pty, TheProgramLeadsASessionOnItsControllingTerminal) {
  TempDir dir;
  const std::string script = dir.write_script("session.sh", R"sh(
[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo "all three on the terminal"
[ "$(ps -o sid= -p $$ | tr -d ' ')" = "$$" ] && echo "session leader"
: </dev/tty && echo "controlling terminal"
echo "TERM=$TERM"
)sh");
  ServerProcess server({"--pty", script});
  auto client = connect_to(server);
  const Gathered gathered = gather_to_end(*client);
  EXPECT_TRUE(gathered.all_binary);
  EXPECT_EQ(gathered.bytes,
            "all three on the terminal\r\nsession leader\r\ncontrolling terminal\r\n"
            "TERM=xterm-256color\r\n");
  EXPECT_TRUE(IsClose(gathered.end, 1000));
}

TEST(Pty, PassenvKeepsTheCallersTerm) {
  TempDir dir;
  const std::string script = dir.write_script("term.sh", "echo \"TERM=$TERM\"");
  ServerOptions options;
  options.args = {"--pty", "--passenv=PATH,TERM", script};
  options.env = {{"TERM", "screen"}};
  ServerProcess server(options);
  auto client = connect_to(server);
  EXPECT_EQ(gather_to_end(*client).bytes, "TERM=screen\r\n");
}

// Binary messages, {"type":"input"} and plain text are all keystrokes,
// nothing appended; the terminal echoes them as a terminal does.
TEST(Pty, EveryKindOfInputIsTyped) {
  TempDir dir;
  const std::string script =
      dir.write_script("read.sh", "read a; read b; read c; echo \"got:$a:$b:$c\"");
  ServerProcess server({"--pty", script});
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_binary("one\r"));
  ASSERT_TRUE(client->send_text(R"({"type":"input","data":"two\r"})"));
  ASSERT_TRUE(client->send_text("three\r"));
  const std::string output = gather_until(*client, "got:one:two:three\r\n");
  EXPECT_NE(output.find("one\r\ntwo\r\nthree\r\n"), std::string::npos) << output;  // the echo
  EXPECT_NE(output.find("got:one:two:three\r\n"), std::string::npos) << output;
}

// The trap only notes the signal and the loop reports it: bash forgets a
// signal that arrives while the trap for that same signal is still running,
// so a trap that printed the size itself could lose the second resize when
// the test sent it right after reading the first report.
TEST(Pty, ResizeSetsTheSizeAndSendsSigwinch) {
  TempDir dir;
  const std::string script = dir.write_script("winch.sh", R"sh(
trap 'winched=1' WINCH
echo ready
while :; do
  sleep 0.05
  if [ -n "$winched" ]; then winched=; echo "winch $(stty size)"; fi
done
)sh");
  ServerProcess server({"--pty", script});
  auto client = connect_to(server);
  ASSERT_NE(gather_until(*client, "ready\r\n").find("ready"), std::string::npos);
  ASSERT_TRUE(client->send_text(R"({"type":"resize","cols":120,"rows":50})"));
  const std::string after = gather_until(*client, "winch 50 120\r\n");
  EXPECT_NE(after.find("winch 50 120\r\n"), std::string::npos) << after;
  // A malformed resize changes nothing and is not typed either.
  ASSERT_TRUE(client->send_text(R"({"type":"resize","cols":"wide"})"));
  ASSERT_TRUE(client->send_text(R"({"type":"resize","cols":90,"rows":30})"));
  const std::string later = gather_until(*client, "winch 30 90\r\n");
  EXPECT_NE(later.find("winch 30 90\r\n"), std::string::npos) << later;
  EXPECT_EQ(later.find("wide"), std::string::npos) << later;
}

// The hang-up comes first: without it the ladder's SIGINT would end the
// script before its trap ran. (--closems spaces the ladder's steps out, so
// only the hang-up can be in time.)
TEST(Pty, ClientLeavingHangsUpTheTerminal) {
  TempDir dir;
  const std::string marker = dir.path() + "/hup";
  const std::string script = dir.write_script("hup.sh", R"(
trap 'echo "got SIGHUP" > "$1"; exit 0' HUP
echo ready
while :; do sleep 0.05; done
)");
  ServerProcess server({"--pty", "--closems=5000", script, marker});
  auto client = connect_to(server);
  ASSERT_NE(gather_until(*client, "ready\r\n").find("ready"), std::string::npos);
  client->close(1000);
  EXPECT_EQ(wait_for_file_line(marker, 5000ms), "got SIGHUP");
}

// A foreground job of an interactive shell is in a process group of its
// own: the hang-up reaches it through the terminal, not the ladder. (The
// shell ignores SIGINT and SIGTERM; without the hang-up the job would hear
// of it only once the ladder's SIGKILL ended the shell, and --closems puts
// that beyond the wait below.)
TEST(Pty, HangUpReachesTheShellsForegroundJob) {
  TempDir dir;
  const std::string marker = dir.path() + "/hup";
  const std::string job =
      dir.write_script("job.sh",
                       "trap 'echo \"job got SIGHUP\" > \"$1\"; exit 0' HUP\necho job-ready\n"
                       "while :; do sleep 0.05; done\n");
  ServerProcess server({"--pty", "--closems=5000", "bash", "--norc", "--noprofile", "-i"});
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_binary(job + " " + marker + "\r"));
  ASSERT_NE(gather_until(*client, "job-ready\r\n", 10000ms).find("job-ready\r\n"),
            std::string::npos);
  client->abort();
  EXPECT_EQ(wait_for_file_line(marker, 5000ms), "job got SIGHUP");
}

TEST(Pty, NothingIsLostWhenTheProgramPrintsALotAndExits) {
  constexpr int kLines = 30000;
  ServerProcess server({"--pty", "seq", "1", std::to_string(kLines)});
  auto client = connect_to(server);
  const Gathered gathered = gather_to_end(*client, 20s);
  EXPECT_TRUE(gathered.all_binary);
  // The terminal turns each "\n" into "\r\n", as any terminal does.
  EXPECT_EQ(gathered.bytes, seq_output(kLines, "\r\n"));
  EXPECT_TRUE(IsClose(gathered.end, 1000));
}

}  // namespace
}  // namespace wsexec_test
