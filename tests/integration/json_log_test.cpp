// --logformat=json (issue 15, item 6): every line of the log is one JSON
// object, checked by Python's json module (a parser that is not ours),
// however odd the URL or the program's stderr.
#include <fstream>
#include <string>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

// Parses every line of the log file with Python's json module (strict:
// no NaN, no duplicate-key tolerance needed), checks the four fixed fields
// and the RFC 3339 time, and prints one summary line per log line:
// "area|message|url|remote|origin|command|pid|id" (missing fields empty),
// with non-ASCII written as \uXXXX so the test can compare exactly.
constexpr const char* kChecker = R"PY(
import json, re, sys
time_shape = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$')
levels = {'debug', 'trace', 'access', 'info', 'error', 'fatal'}
with open(sys.argv[1], 'rb') as log:
    for number, raw in enumerate(log, 1):
        text = raw.decode('utf-8')  # strict: invalid UTF-8 fails here
        line = json.loads(text)
        assert isinstance(line, dict), number
        assert time_shape.match(line['time']), (number, line['time'])
        assert line['level'] in levels, (number, line['level'])
        assert isinstance(line['area'], str) and isinstance(line['message'], str), number
        fields = [line.get(k, '') for k in
                  ('area', 'message', 'url', 'remote', 'origin', 'command', 'pid', 'id')]
        print(json.dumps('|'.join(str(f) for f in fields)))
)PY";

// One summary per complete line of the log so far (the server may still be
// writing: a line after the last newline is left for later).
std::vector<std::string> checked_summaries(const ServerProcess& server, TempDir& dir,
                                           std::size_t* lines_checked = nullptr) {
  std::string snapshot = server.log();
  snapshot.resize(snapshot.rfind('\n') + 1);  // npos + 1 == 0: nothing complete yet
  const std::string log = dir.path() + "/log.jsonl";
  const std::string checker = dir.path() + "/check.py";
  {
    std::ofstream(log) << snapshot;
    std::ofstream(checker) << kChecker;
  }
  const auto result = run_program("/usr/bin/python3", {checker, log}, 30s);
  EXPECT_TRUE(result.status && result.status->exited && result.status->code == 0)
      << result.err << "\n"
      << snapshot;
  if (lines_checked) *lines_checked = split_lines(snapshot).size();
  return split_lines(result.out);
}

TEST(JsonLog, EveryLineIsAJsonObjectWithTheSessionsContext) {
  TempDir dir;
  // Stderr with a quote, a backslash, a control character and bytes that
  // are not UTF-8; stdout tells the pid.
  const std::string script = dir.write_script(
      "odd.sh", "echo $$\nprintf 'it'\"'\"'s \\\\ \\001 \\377\\376 end\\n' >&2\nexec cat\n");
  ServerProcess server({"--logformat=json", "--loglevel=debug", script});
  ConnectOptions options = client_options(server, "/odd%20path?q='x'&r=%22y%22%FF");
  options.headers = {{"Origin", "http://o.example"}};
  auto client = WsClient::connect(options);
  const WsEvent pid = client->read(5s);
  ASSERT_EQ(pid.kind, EventKind::text) << describe(pid);
  ASSERT_TRUE(client->close());
  ASSERT_TRUE(server.wait_for_log_line({"\"DISCONNECT\""}).has_value()) << server.diagnostics();
  ASSERT_TRUE(server.wait_for_log_line({"\"area\":\"stderr\""}).has_value())
      << server.diagnostics();

  // The server may still log (the child's reaping, at debug level): the
  // lines counted are the lines checked.
  std::size_t lines = 0;
  const auto summaries = checked_summaries(server, dir, &lines);
  ASSERT_EQ(summaries.size(), lines) << server.log();
  const std::string url =
      "http://127.0.0.1:" + std::to_string(server.port()) + "/odd%20path?q='x'&r=%22y%22%FF";
  const auto session_line = [&](const std::string& area, const std::string& message) {
    // JSON-quoted, as the checker prints it; the id is whatever it is.
    return "\"" + area + "|" + message + "|" + url + "|127.0.0.1|http://o.example|" + script + "|" +
           pid.data + "|";
  };
  bool connect = false, disconnect = false, stderr_line = false;
  for (const auto& summary : summaries) {
    connect = connect || summary.starts_with(session_line("session", "CONNECT"));
    disconnect = disconnect || summary.starts_with(session_line("session", "DISCONNECT"));
    // Invalid bytes became U+FFFD; the control character and the quote stayed.
    stderr_line = stderr_line || summary.starts_with(session_line(
                                     "stderr", "it's \\\\ \\u0001 \\ufffd\\ufffd end"));
  }
  EXPECT_TRUE(connect) << testing::PrintToString(summaries);
  EXPECT_TRUE(disconnect) << testing::PrintToString(summaries);
  EXPECT_TRUE(stderr_line) << testing::PrintToString(summaries);
}

TEST(JsonLog, StartUpAndHttpLinesAreJsonToo) {
  TempDir dir;
  ServerProcess server({"--logformat=json", "--staticdir=" + dir.path()});
  EXPECT_EQ(plain_get(server.port(), "/it's%FF").status, 404);
  // Raw bytes that are not UTF-8 in the target (Beast passes them on; the
  // router answers 400, a target must be ASCII): the log line replaces them
  // with U+FFFD and stays valid.
  RawConnection raw("127.0.0.1", server.port());
  ASSERT_TRUE(raw.send_all("GET /caf\xe9\xff HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(contains(raw.read_until("\r\n\r\n", 5s), " 400 "));
  ASSERT_TRUE(server.wait_for_log_line({"/it's%FF"}).has_value()) << server.diagnostics();
  ASSERT_TRUE(server.wait_for_log_line({"http://x/caf"}).has_value()) << server.diagnostics();
  const auto summaries = checked_summaries(server, dir);
  ASSERT_GE(summaries.size(), 3u);
  EXPECT_TRUE(summaries.front().starts_with("\"server|")) << summaries.front();
  bool replaced = false;
  for (const auto& summary : summaries) {
    replaced = replaced || summary.starts_with("\"http|BAD REQUEST|http://x/caf\\ufffd\\ufffd|");
  }
  EXPECT_TRUE(replaced) << testing::PrintToString(summaries);
}

TEST(JsonLog, TheDefaultStaysWebsocketdsText) {
  ServerProcess server({"cat"});
  const auto line = server.wait_for_log_line({"| INFO   |"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_FALSE(line->starts_with("{")) << *line;
}

TEST(JsonLog, AnUnknownFormatIsRefusedBeforeListening) {
  const auto result = run_to_exit({"--logformat=yaml", "cat"});
  ASSERT_TRUE(result.status.has_value());
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, "--logformat must be text or json")) << result.err;
}

}  // namespace
}  // namespace wsexec_test
