// The log on stdout (docs/compatibility.md, "Log"): websocketd's line format, so that
// tools parsing websocketd's log keep working.
#include <regex>
#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// "<RFC 1123 date, numeric zone> | LEVEL  | area       | context | message":
// the level padded to 6 columns, the area to 10, as websocketd prints them.
const std::regex kLogLine(
    R"(^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )"
    R"(\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4} )"
    R"(\| (DEBUG |TRACE |ACCESS|INFO  |ERROR |FATAL ) \| ([a-z]+ *) \| (.*) \| (.*)$)");

// A script with a known path that tells its PID, then relays like cat.
std::string write_cat_with_pid(TempDir& dir) {
  return dir.write_script("cat_with_pid.sh", "echo $$\nexec cat\n");
}

TEST(Log, EveryLineHasWebsocketdsFormat) {
  TempDir dir;
  std::string script = dir.write_script("noisy.sh", "echo out\necho 'to stderr' >&2\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  client->read_until_end(5s);
  ASSERT_TRUE(server.wait_for_log_line({"DISCONNECT"}).has_value()) << server.diagnostics();
  ASSERT_TRUE(server.wait_for_log_line({"to stderr"}).has_value()) << server.diagnostics();
  std::vector<std::string> lines = server.log_lines();
  ASSERT_GE(lines.size(), 3u);
  for (const std::string& line : lines) {
    std::smatch match;
    EXPECT_TRUE(std::regex_match(line, match, kLogLine)) << "not in websocketd's format: " << line;
    if (!match.empty()) {
      EXPECT_EQ(match[4].length(), 10) << "area not padded to 10 columns: " << line;
    }
  }
}

TEST(Log, StartupNamesTheListener) {
  ServerProcess server({"cat"});
  auto line =
      server.wait_for_log_line({"| INFO   |", "ws://127.0.0.1:" + std::to_string(server.port())});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Log, ConnectAndDisconnectAreLoggedAtAccessLevelWithTheSessionContext) {
  TempDir dir;
  std::string script = write_cat_with_pid(dir);
  ServerProcess server({script});
  ConnectOptions options = client_options(server, "/log/path?q=1");
  options.headers = {{"Origin", "http://origin.example"}};
  auto client = WsClient::connect(options);
  WsEvent pid_message = client->read(5s);
  ASSERT_EQ(pid_message.kind, EventKind::text) << describe(pid_message);
  ASSERT_TRUE(client->close());

  auto connect = server.wait_for_log_line({"| ACCESS |", "| CONNECT"});
  auto disconnect = server.wait_for_log_line({"| ACCESS |", "| DISCONNECT"});
  ASSERT_TRUE(connect.has_value()) << server.diagnostics();
  ASSERT_TRUE(disconnect.has_value()) << server.diagnostics();
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/log/path?q=1";
  for (const std::string& line : {*connect, *disconnect}) {
    SCOPED_TRACE(line);
    EXPECT_TRUE(contains(line, "| session    |"));
    EXPECT_EQ(log_field(line, "url"), url);
    EXPECT_NE(log_field(line, "id"), "");
    EXPECT_EQ(log_field(line, "remote"), "127.0.0.1");
    EXPECT_EQ(log_field(line, "command"), script);
    EXPECT_EQ(log_field(line, "origin"), "http://origin.example");
    EXPECT_EQ(log_field(line, "pid"), pid_message.data);
  }
  EXPECT_EQ(log_field(*connect, "id"), log_field(*disconnect, "id"));
  // The context comes in websocketd's order.
  std::smatch match;
  EXPECT_TRUE(std::regex_search(*connect, match,
                                std::regex(R"(\| url:'[^']*' id:'[^']*' remote:'[^']*' )"
                                           R"(command:'[^']*' origin:'[^']*' pid:'\d+' \| )")))
      << *connect;
}

TEST(Log, EachConnectionGetsItsOwnId) {
  ServerProcess server({"cat"});
  for (int i = 0; i < 2; ++i) {
    auto client = connect_to(server);
    ASSERT_TRUE(client->close());
  }
  ASSERT_TRUE(wait_until(
      [&] {
        int connects = 0;
        for (const std::string& line : server.log_lines()) connects += contains(line, "| CONNECT");
        return connects == 2;
      },
      5s))
      << server.diagnostics();
  std::vector<std::string> ids;
  for (const std::string& line : server.log_lines()) {
    if (contains(line, "| CONNECT")) ids.push_back(log_field(line, "id"));
  }
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_NE(ids[0], ids[1]);
}

TEST(Log, ChildStderrLinesAreErrorLinesInTheSessionContext) {
  TempDir dir;
  std::string script = dir.write_script("stderr.sh", "echo 'something broke' >&2\necho done\n");
  ServerProcess server({script});
  auto client = connect_to(server);
  // stderr is not relayed to the client, only logged.
  Transcript transcript = client->read_until_end(5s);
  EXPECT_EQ(transcript.texts(), std::vector<std::string>{"done"});

  auto line = server.wait_for_log_line({"something broke"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_TRUE(contains(*line, "| ERROR  | stderr     |")) << *line;
  EXPECT_EQ(log_field(*line, "remote"), "127.0.0.1") << *line;
  auto connect = server.wait_for_log_line({"| CONNECT"});
  ASSERT_TRUE(connect.has_value());
  EXPECT_EQ(log_field(*line, "id"), log_field(*connect, "id")) << *line;
}

TEST(Log, LoglevelErrorHidesAccessLinesButKeepsStderr) {
  TempDir dir;
  std::string script = dir.write_script("stderr.sh", "echo 'still logged' >&2\necho done\n");
  ServerProcess server({"--loglevel=error", script});
  auto client = connect_to(server);
  client->read_until_end(5s);
  ASSERT_TRUE(server.wait_for_log_line({"| ERROR  |", "still logged"}).has_value())
      << server.diagnostics();
  for (const std::string& line : server.log_lines()) {
    EXPECT_FALSE(contains(line, "| ACCESS |")) << line;
    EXPECT_FALSE(contains(line, "| INFO   |")) << line;
  }
}

}  // namespace
}  // namespace wsexec_test
