// --passstderr (compat.md; issue 12): the program's stderr lines reach the
// client as tagged JSON messages, and the server's log at error level as
// well, as websocketd does. Without the log copy an operator loses the
// program's errors as soon as the client stops showing them.
#include <algorithm>
#include <string>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

bool has_text(const Transcript& transcript, const std::string& text) {
  const std::vector<std::string> texts = transcript.texts();
  return std::find(texts.begin(), texts.end(), text) != texts.end();
}

TEST(PassStderr, StderrLinesGoToTheClientTaggedAndToTheLogAtErrorLevel) {
  TempDir dir;
  std::string script =
      dir.write_script("both.sh", "echo 'to stdout'\necho 'to stderr' >&2\nsleep 0.2\n");
  ServerProcess server({"--passstderr", script});
  auto client = connect_to(server);
  Transcript transcript = client->read_until_end(5s);

  EXPECT_TRUE(has_text(transcript, R"({"stream":"stdout","data":"to stdout"})"))
      << testing::PrintToString(transcript.texts());
  EXPECT_TRUE(has_text(transcript, R"({"stream":"stderr","data":"to stderr"})"))
      << testing::PrintToString(transcript.texts());

  auto line = server.wait_for_log_line({"to stderr"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_TRUE(contains(*line, "| ERROR  | stderr     |")) << *line;
  auto connect = server.wait_for_log_line({"| CONNECT"});
  ASSERT_TRUE(connect.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "id"), log_field(*connect, "id")) << *line;
}

TEST(PassStderr, StdoutLinesAreNotLogged) {
  TempDir dir;
  std::string script = dir.write_script("out.sh", "echo 'only for the client'\n");
  ServerProcess server({"--passstderr", script});
  auto client = connect_to(server);
  Transcript transcript = client->read_until_end(5s);
  EXPECT_TRUE(has_text(transcript, R"({"stream":"stdout","data":"only for the client"})"))
      << testing::PrintToString(transcript.texts());
  ASSERT_TRUE(server.wait_for_log_line({"DISCONNECT"}).has_value()) << server.diagnostics();
  for (const std::string& line : server.log_lines()) {
    EXPECT_FALSE(contains(line, "only for the client")) << line;
  }
}

TEST(PassStderr, ALastStderrLineWithoutNewlineIsLoggedToo) {
  TempDir dir;
  std::string script = dir.write_script("partial.sh", "printf 'no newline at the end' >&2\n");
  ServerProcess server({"--passstderr", script});
  auto client = connect_to(server);
  client->read_until_end(5s);
  // The client may be closed before the last stderr line is sent (stdout's
  // end closes it); the log gets the line either way.
  auto line = server.wait_for_log_line({"no newline at the end"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_TRUE(contains(*line, "| ERROR  | stderr     |")) << *line;
}

}  // namespace
}  // namespace wsexec_test
