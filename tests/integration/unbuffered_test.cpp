// --unbuffered: the program's stdout is a raw pseudo-terminal, so programs
// that buffer a pipe print each line when they write it (issue 14, item 1).
#include <chrono>
#include <string>
#include <vector>

#include "harness.hpp"
#include "terminal_common.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

// The issue's measurement: Python buffers a pipe in blocks, so without
// --unbuffered all three lines arrive together after about 2 s.
TEST(Unbuffered, PythonLinesArriveWhenPrintedNotAtExit) {
  TempDir dir;
  // print() without flush: Python's stdout buffers a pipe in blocks.
  const std::string script = dir.write_file("slow.py",
                                            "import time\n"
                                            "for i in range(3):\n"
                                            "    print('line', i)\n"
                                            "    if i < 2: time.sleep(1)\n",
                                            0644);
  ServerProcess server({"--unbuffered", "python3", script});
  auto client = connect_to(server);
  std::vector<Clock::time_point> arrivals;
  for (int i = 0; i < 3; ++i) {
    const WsEvent event = client->read(5s);
    ASSERT_TRUE(IsText(event, "line " + std::to_string(i)));
    arrivals.push_back(Clock::now());
  }
  for (int i = 1; i < 3; ++i) {
    const auto gap = arrivals[i] - arrivals[i - 1];
    EXPECT_GT(gap, 700ms) << "line " << i << " came with the one before it";
    EXPECT_LT(gap, 1800ms) << "line " << i << " was held back";
  }
  EXPECT_TRUE(IsClose(client->read(5s), 1000));
}

TEST(Unbuffered, StdoutIsATerminalStdinAndStderrStayPipesTermIsDumb) {
  TempDir dir;
  const std::string script = dir.write_script("where.sh", R"(
[ -t 1 ] && echo "stdout terminal"
[ -t 0 ] || echo "stdin pipe"
[ -t 2 ] || echo "stderr pipe"
echo "TERM=$TERM"
)");
  ServerProcess server({"--unbuffered", "--passenv=PATH,TERM", script});
  auto client = connect_to(server);
  const Transcript transcript = client->read_until_end(5s);
  EXPECT_EQ(transcript.texts(), (std::vector<std::string>{"stdout terminal", "stdin pipe",
                                                          "stderr pipe", "TERM=dumb"}));
}

// Raw: no "\r" added before "\n", no echo of what the client sends (stdin
// is a pipe anyway), and the client's lines still reach the program.
TEST(Unbuffered, LineModeKeepsItsMeaningThroughCat) {
  ServerProcess server({"--unbuffered", "cat"});
  auto client = connect_to(server);
  for (std::string text : {"hello", "tab\there", "UTF-8: Grüße ✓"}) {
    ASSERT_TRUE(client->send_text(text));
    EXPECT_TRUE(IsText(client->read(5s), text));
  }
}

// On Linux a read of the terminal returns EIO once the program's end is
// closed; what it printed just before must still all arrive.
TEST(Unbuffered, NothingIsLostWhenTheProgramPrintsALotAndExits) {
  constexpr int kLines = 30000;
  ServerProcess server({"--unbuffered", "seq", "1", std::to_string(kLines)});
  auto client = connect_to(server);
  const Transcript transcript = client->read_until_end(20s);
  ASSERT_EQ(transcript.messages.size(), static_cast<std::size_t>(kLines))
      << "ended with " << describe(transcript.end);
  for (int i = 0; i < kLines; ++i) {
    ASSERT_TRUE(IsText(transcript.messages[i], std::to_string(i + 1)));
  }
  EXPECT_TRUE(IsClose(transcript.end, 1000));
}

TEST(Unbuffered, BinaryModeBytesPassUnchanged) {
  TempDir dir;
  // CR, LF, NUL, a byte that is not UTF-8 and ^C: a raw terminal changes none.
  const std::string script = dir.write_script("bytes.sh", R"(printf 'a\r\nb\n\000\377\003end')");
  ServerProcess server({"--unbuffered", "--binary", script});
  auto client = connect_to(server);
  const Gathered gathered = gather_to_end(*client);
  EXPECT_TRUE(gathered.all_binary);
  EXPECT_EQ(gathered.bytes, std::string("a\r\nb\n\0\xff\x03"
                                        "end",
                                        11));
  EXPECT_TRUE(IsClose(gathered.end, 1000));
}

TEST(Unbuffered, BinaryModeEchoesThroughCat) {
  ServerProcess server({"--unbuffered", "--binary", "cat"});
  auto client = connect_to(server);
  const std::string sent("x\r\ny\n\0\x1a", 7);
  ASSERT_TRUE(client->send_binary(sent));
  EXPECT_EQ(gather_until(*client, std::string_view(sent)), sent);
}

}  // namespace
}  // namespace wsexec_test
