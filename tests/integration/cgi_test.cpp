// --cgidir=DIR (issue 3, item 3): CGI/1.1 scripts chosen by the URL path
// (as --dir: SCRIPT_NAME and PATH_INFO), the request body on stdin with
// CONTENT_LENGTH / CONTENT_TYPE, Status / Location / other headers from the
// script honoured, output streamed, --maxforks counted, broken scripts
// answered with 502, a hanging script ended through the termination ladder
// when its client leaves, and a --cgidir inside --staticdir never shown as
// source.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

// The ladder (100 + 250 + 500 ms) with slack for a loaded machine.
constexpr Millis kScriptGoneDeadline = 3000ms;

// A script that prints its CGI environment as NAME=value lines.
constexpr const char* kEnvScript =
    "printf 'Content-Type: text/plain\\n\\n'\n"
    "for v in REQUEST_METHOD QUERY_STRING SCRIPT_NAME PATH_INFO CONTENT_LENGTH CONTENT_TYPE \\\n"
    "    REMOTE_ADDR SERVER_PROTOCOL GATEWAY_INTERFACE REQUEST_URI HTTP_X_TEST SERVER_NAME \\\n"
    "    SERVER_PORT; do\n"
    "  echo \"$v=${!v}\"\n"
    "done\n";

std::map<std::string, std::string> parse_lines(const std::string& body) {
  std::map<std::string, std::string> variables;
  for (const std::string& line : split_lines(body)) {
    auto equals = line.find('=');
    if (equals != std::string::npos) variables[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return variables;
}

// A --cgidir with scripts for every case; `marker` is a file some scripts wait for.
struct CgiDir {
  TempDir dir;
  std::string root;
  std::string marker;
  CgiDir() {
    root = dir.file("cgi");
    marker = dir.file("release");
    fs::create_directories(root + "/sub");
    dir.write_script("cgi/env.sh", kEnvScript);
    dir.write_script("cgi/sub/env.sh", kEnvScript);
    dir.write_script("cgi/echo_body.sh",
                     "printf 'Content-Type: application/octet-stream\\n\\n'\nexec cat\n");
    dir.write_script("cgi/status.sh",
                     "printf 'Status: 404 Not Here\\nContent-Type: text/plain\\nX-Custom: yes\\n"
                     "\\nnope\\n'\n");
    dir.write_script("cgi/created.sh",
                     "printf 'Status: 201 Created\\nLocation: http://127.0.0.1/thing/1\\n"
                     "Content-Type: text/plain\\n\\nmade\\n'\n");
    dir.write_script("cgi/client_redirect.sh",
                     "printf 'Location: http://example.com/elsewhere?a=b\\n\\n'\n");
    dir.write_script("cgi/local_redirect.sh",
                     "printf 'Location: /env.sh/redirected?from=local\\n\\n'\n");
    dir.write_script("cgi/loop.sh", "printf 'Location: /loop.sh\\n\\n'\n");
    dir.write_script("cgi/bad_headers.sh", "printf 'this is not a header\\n\\nbody\\n'\n");
    dir.write_script("cgi/dies.sh", "exit 3\n");
    dir.write_script("cgi/half_headers.sh", "printf 'Content-Type: text/plain\\n'\nexit 0\n");
    dir.write_script("cgi/with_length.sh",
                     "printf 'Content-Type: text/plain\\nContent-Length: 5\\n\\nhello'\n");
    dir.write_script("cgi/stderr.sh",
                     "echo 'oops on stderr' >&2\nprintf 'Content-Type: text/plain\\n\\nok\\n'\n");
    // Prints a first line, then waits (bounded) for the marker file.
    dir.write_script("cgi/slow.sh",
                     "printf 'Content-Type: text/plain\\n\\n'\necho first\n"
                     "for i in $(seq 1 600); do [ -e '" +
                         marker + "' ] && break; sleep 0.05; done\necho second\n");
    // Prints, pauses well past the moment a short response is gathered in,
    // prints again: a streaming script.
    dir.write_script("cgi/paced.sh",
                     "printf 'Content-Type: text/plain\\n\\n'\necho one\nsleep 0.3\necho two\n");
    dir.write_script("cgi/ignore_body.sh", "printf 'Content-Type: text/plain\\n\\nignored\\n'\n");
    dir.write_script(
        "cgi/big.sh",
        "printf 'Content-Type: application/octet-stream\\n\\n'\nhead -c 16777216 /dev/zero\n");
    dir.write_script("cgi/length_over.sh",
                     "printf 'Content-Type: text/plain\\nContent-Length: 3\\n\\nhello world'\n");
    dir.write_script("cgi/length_short.sh",
                     "printf 'Content-Type: text/plain\\nContent-Length: 30\\n\\nshort'\n");
    dir.write_file("cgi/noexec.sh", "#!/bin/bash\nprintf 'Content-Type: text/plain\\n\\nran\\n'\n",
                   0644);
  }
  // A script that writes its PID to pid_file, optionally prints headers and
  // a first line, then sleeps (ignoring SIGINT/SIGTERM if stubborn).
  std::string hanging_script(const std::string& name, const std::string& pid_file,
                             bool headers_first, bool stubborn) {
    std::string body;
    if (stubborn) body += "trap '' INT TERM\n";
    if (headers_first) body += "printf 'Content-Type: text/plain\\n\\nstarted\\n'\n";
    body += "echo $$ > '" + pid_file + "'\nexec sleep 60\n";
    return dir.write_script("cgi/" + name, body);
  }
};

PlainHttpRequest post(const std::string& target, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  PlainHttpRequest request;
  request.method = "POST";
  request.target = target;
  request.body = std::move(body);
  request.headers = std::move(headers);
  return request;
}

TEST(Cgi, ScriptGetsTheCgiEnvironment) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response =
      plain_get(server.port(), "/env.sh/some/path?q=1&r=2", {{"X-Test", "header value"}});
  ASSERT_EQ(response.status, 200) << response.describe();
  EXPECT_EQ(response.header("Content-Type"), "text/plain") << response.describe();
  auto env = parse_lines(response.body);
  EXPECT_EQ(env["REQUEST_METHOD"], "GET");
  EXPECT_EQ(env["SCRIPT_NAME"], "/env.sh");
  EXPECT_EQ(env["PATH_INFO"], "/some/path");
  EXPECT_EQ(env["QUERY_STRING"], "q=1&r=2");
  EXPECT_EQ(env["REQUEST_URI"], "/env.sh/some/path?q=1&r=2");
  EXPECT_EQ(env["GATEWAY_INTERFACE"], "CGI/1.1");
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/1.1");
  EXPECT_EQ(env["REMOTE_ADDR"], "127.0.0.1");
  EXPECT_EQ(env["SERVER_NAME"], "127.0.0.1");
  EXPECT_EQ(env["SERVER_PORT"], std::to_string(server.port()));
  EXPECT_EQ(env["HTTP_X_TEST"], "header value");
  EXPECT_EQ(env["CONTENT_LENGTH"], "");
  EXPECT_EQ(env["CONTENT_TYPE"], "");
}

TEST(Cgi, ScriptsInSubdirectoriesAreRouted) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/sub/env.sh/x");
  ASSERT_EQ(response.status, 200) << response.describe();
  auto env = parse_lines(response.body);
  EXPECT_EQ(env["SCRIPT_NAME"], "/sub/env.sh");
  EXPECT_EQ(env["PATH_INFO"], "/x");
}

TEST(Cgi, RequestBodyGoesToStdinWithLengthAndType) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse env_response = plain_http(
      server.port(),
      post("/env.sh", "a=1&b=2", {{"Content-Type", "application/x-www-form-urlencoded"}}));
  ASSERT_EQ(env_response.status, 200) << env_response.describe();
  auto env = parse_lines(env_response.body);
  EXPECT_EQ(env["REQUEST_METHOD"], "POST");
  EXPECT_EQ(env["CONTENT_LENGTH"], "7");
  EXPECT_EQ(env["CONTENT_TYPE"], "application/x-www-form-urlencoded");

  // A body larger than any pipe buffer, with every byte value, comes back whole.
  std::string body;
  for (int i = 0; i < (1 << 20); ++i) body += static_cast<char>((i * 7 + i / 256) & 0xff);
  PlainHttpResponse echoed = plain_http(server.port(), post("/echo_body.sh", body), 20s);
  ASSERT_EQ(echoed.status, 200) << echoed.describe();
  EXPECT_TRUE(echoed.complete()) << echoed.describe();
  EXPECT_EQ(echoed.body.size(), body.size());
  EXPECT_TRUE(echoed.body == body) << "the echoed body differs";
}

TEST(Cgi, StatusAndOtherHeadersFromTheScriptAreHonoured) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/status.sh");
  EXPECT_EQ(response.status, 404) << response.describe();
  EXPECT_EQ(response.reason, "Not Here") << response.describe();
  EXPECT_EQ(response.header("X-Custom"), "yes") << response.describe();
  EXPECT_EQ(response.header("Content-Type"), "text/plain") << response.describe();
  EXPECT_EQ(response.body, "nope\n");
  EXPECT_EQ(response.header_count("Status"), 0u) << "Status is not a response header";

  PlainHttpResponse created = plain_get(server.port(), "/created.sh");
  EXPECT_EQ(created.status, 201) << created.describe();
  EXPECT_EQ(created.header("Location"), "http://127.0.0.1/thing/1") << created.describe();
  EXPECT_EQ(created.body, "made\n");
}

TEST(Cgi, HeaderHttpOptionIsAddedToScriptResponses) {
  CgiDir cgi;
  ServerProcess server(
      {"--header=X-All: everywhere", "--header-http=X-Http: plain only", "--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/status.sh");
  EXPECT_EQ(response.header("X-All"), "everywhere") << response.describe();
  EXPECT_EQ(response.header("X-Http"), "plain only") << response.describe();
  EXPECT_EQ(response.header("X-Custom"), "yes") << response.describe();
}

TEST(Cgi, AbsoluteLocationIsAClientRedirect) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/client_redirect.sh");
  EXPECT_EQ(response.status, 302) << response.describe();
  EXPECT_EQ(response.header("Location"), "http://example.com/elsewhere?a=b") << response.describe();
}

TEST(Cgi, LocalLocationIsFollowedByTheServerAsGet) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/local_redirect.sh");
  ASSERT_EQ(response.status, 200) << response.describe();
  EXPECT_FALSE(response.header("Location").has_value()) << response.describe();
  auto env = parse_lines(response.body);
  EXPECT_EQ(env["SCRIPT_NAME"], "/env.sh");
  EXPECT_EQ(env["PATH_INFO"], "/redirected");
  EXPECT_EQ(env["QUERY_STRING"], "from=local");
  EXPECT_EQ(env["REQUEST_METHOD"], "GET");
}

TEST(Cgi, LocalRedirectAfterAPostBodyIsFollowedAsGet) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_http(server.port(), post("/local_redirect.sh", "hello"));
  ASSERT_EQ(response.status, 200) << response.describe();
  auto env = parse_lines(response.body);
  EXPECT_EQ(env["SCRIPT_NAME"], "/env.sh");
  EXPECT_EQ(env["PATH_INFO"], "/redirected");
  EXPECT_EQ(env["REQUEST_METHOD"], "GET");
  EXPECT_EQ(env["CONTENT_LENGTH"], "");
}

TEST(Cgi, LocalRedirectLoopIsCutShort) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/loop.sh", {}, 15s);
  EXPECT_GE(response.status, 500) << response.describe();
  EXPECT_LT(response.status, 600) << response.describe();
}

TEST(Cgi, OutputIsStreamedChunkedForHttp11) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest request;
  request.target = "/slow.sh";
  ASSERT_TRUE(connection->send_raw(connection->serialize(request)));
  // "first" arrives while the script still waits for the marker.
  std::string start = connection->read_raw_until("first", 10s);
  ASSERT_TRUE(contains(start, "first")) << start;
  EXPECT_EQ(http_status_of(start), 200) << start;
  EXPECT_EQ(http_header(start, "Transfer-Encoding"), "chunked") << start;
  EXPECT_FALSE(http_header(start, "Content-Length").has_value()) << start;
  EXPECT_FALSE(contains(start, "second"));
  cgi.dir.write_file("release", "");
  std::string rest;
  ASSERT_TRUE(connection->wait_closed(10s, &rest)) << rest;
  EXPECT_TRUE(contains(rest, "second")) << rest;
  EXPECT_TRUE(rest.ends_with("0\r\n\r\n")) << "no last chunk: " << rest;
}

TEST(Cgi, ScriptContentLengthIsKept) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/with_length.sh");
  ASSERT_EQ(response.status, 200) << response.describe();
  EXPECT_EQ(response.header("Content-Length"), "5") << response.describe();
  EXPECT_FALSE(response.header("Transfer-Encoding").has_value()) << response.describe();
  EXPECT_EQ(response.body, "hello");
}

TEST(Cgi, ScriptOutputBeyondItsContentLengthIsNotSent) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest first;
  first.target = "/length_over.sh";
  first.keep_alive = true;
  PlainHttpResponse over = connection->request(first);
  ASSERT_EQ(over.status, 200) << over.describe();
  EXPECT_EQ(over.body, "hel");
  // The surplus must not pose as (part of) the next response.
  std::string rest;
  if (connection->wait_closed(1s, &rest)) {
    EXPECT_TRUE(rest.empty()) << "sent beyond Content-Length: " << rest;
    return;
  }
  PlainHttpRequest second;
  second.target = "/with_length.sh";
  PlainHttpResponse next = connection->request(second);
  EXPECT_EQ(next.status, 200) << next.describe();
  EXPECT_EQ(next.body, "hello") << next.describe();
}

TEST(Cgi, ScriptOutputShortOfItsContentLengthClosesTheConnection) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest first;
  first.target = "/length_short.sh";
  first.keep_alive = true;
  ASSERT_TRUE(connection->send_raw(connection->serialize(first)));
  // A second request is pipelined: its answer must not fill the gap.
  PlainHttpRequest second;
  second.target = "/with_length.sh";
  second.keep_alive = true;
  ASSERT_TRUE(connection->send_raw(connection->serialize(second)));
  std::string received;
  EXPECT_TRUE(connection->wait_closed(5s, &received)) << "still open after: " << received;
  EXPECT_TRUE(received.ends_with("\r\n\r\nshort")) << received;
}

TEST(Cgi, ScriptIgnoringALargeBodyStillAnswersAndKeepsTheConnectionUsable) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest request = post("/ignore_body.sh", std::string(4u << 20, 'z'));
  request.keep_alive = true;
  PlainHttpResponse ignored = connection->request(request, 20s);
  ASSERT_EQ(ignored.status, 200) << ignored.describe();
  EXPECT_EQ(ignored.body, "ignored\n");
  if (!connection->peer_closed()) {
    PlainHttpRequest next;
    next.target = "/with_length.sh";
    PlainHttpResponse after = connection->request(next);
    EXPECT_EQ(after.status, 200) << after.describe();
    EXPECT_EQ(after.body, "hello") << "the unread body was taken for a request";
  }
}

TEST(Cgi, LargeOutputIsStreamedWhole) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/big.sh", {}, 30s);
  ASSERT_EQ(response.status, 200) << response.error;
  EXPECT_TRUE(response.complete()) << response.error;
  EXPECT_TRUE(response.chunked);
  EXPECT_EQ(response.body.size(), 16777216u);
  EXPECT_EQ(response.body.find_first_not_of('\0'), std::string::npos);
}

TEST(Cgi, Http10StreamingResponseIsEndedByClosing) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpRequest request;
  request.version = "HTTP/1.0";
  request.target = "/paced.sh";
  PlainHttpResponse response = plain_http(server.port(), request);
  ASSERT_EQ(response.status, 200) << response.describe();
  EXPECT_FALSE(response.chunked) << response.describe();
  EXPECT_FALSE(response.header("Content-Length").has_value()) << response.describe();
  EXPECT_TRUE(response.complete()) << response.describe();
  EXPECT_EQ(response.body, "one\ntwo\n") << response.describe();
}

// A script whose whole output is there within a moment of its headers gets
// a Content-Length and one write, as a short page should; one that pauses
// between its lines is still streamed.
TEST(Cgi, QuickShortResponseIsSentWholeWithContentLength) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  for (const char* version : {"HTTP/1.1", "HTTP/1.0"}) {
    PlainHttpRequest request;
    request.version = version;
    request.target = "/env.sh";
    PlainHttpResponse response = plain_http(server.port(), request);
    ASSERT_EQ(response.status, 200) << response.describe();
    EXPECT_FALSE(response.header("Transfer-Encoding").has_value()) << response.describe();
    EXPECT_EQ(response.header("Content-Length"), std::to_string(response.body.size()))
        << response.describe();
    EXPECT_EQ(parse_lines(response.body)["REQUEST_METHOD"], "GET") << response.describe();
  }
}

TEST(Cgi, PausingScriptIsStillStreamedChunked) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/paced.sh");
  ASSERT_EQ(response.status, 200) << response.describe();
  EXPECT_TRUE(response.chunked) << response.describe();
  EXPECT_FALSE(response.header("Content-Length").has_value()) << response.describe();
  EXPECT_EQ(response.body, "one\ntwo\n") << response.describe();
}

// As websocketd's router does: ".." that stays inside the served directory
// is a 301 to the normalised path; one that leaves it stays 403.
TEST(Cgi, DotDotStayingInsideIsRedirectedToTheNormalisedPath) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/sub/../env.sh/x?q=1");
  EXPECT_EQ(response.status, 301) << response.describe();
  EXPECT_EQ(response.header("Location"), "/env.sh/x?q=1") << response.describe();
  EXPECT_EQ(plain_get(server.port(), "/sub/../../env.sh").status, 403);
}

TEST(Cgi, KeepAliveServesSeveralScriptsOnOneConnection) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  for (const char* target : {"/with_length.sh", "/env.sh", "/status.sh", "/with_length.sh"}) {
    PlainHttpRequest request;
    request.target = target;
    request.keep_alive = true;
    PlainHttpResponse response = connection->request(request);
    EXPECT_TRUE(response.complete()) << target << ": " << response.describe();
  }
  PlainHttpRequest with_body = post("/echo_body.sh", "body on a kept connection");
  with_body.keep_alive = true;
  PlainHttpResponse echoed = connection->request(with_body);
  EXPECT_EQ(echoed.body, "body on a kept connection") << echoed.describe();
}

TEST(Cgi, HeadGetsTheScriptHeadersOnly) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest head;
  head.method = "HEAD";
  head.target = "/status.sh";
  head.keep_alive = true;
  PlainHttpResponse response = connection->request(head);
  EXPECT_EQ(response.status, 404) << response.describe();
  EXPECT_EQ(response.header("X-Custom"), "yes") << response.describe();
  // Nothing of the body may follow: the connection is either closed or
  // ready for the next request.
  std::string extra;
  if (!connection->wait_closed(1s, &extra)) {
    PlainHttpRequest get;
    get.target = "/with_length.sh";
    PlainHttpResponse next = connection->request(get);
    EXPECT_EQ(next.body, "hello") << next.describe();
  } else {
    EXPECT_TRUE(extra.empty()) << "a body followed the HEAD answer: " << extra;
  }
}

TEST(Cgi, BrokenScriptsAre502) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  for (const char* target : {"/bad_headers.sh", "/dies.sh", "/half_headers.sh"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_EQ(response.status, 502) << target << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, "this is not a header")) << target;
  }
  EXPECT_TRUE(server.wait_for_log_line({"| ERROR  |", "/bad_headers.sh"}).has_value())
      << server.diagnostics();
}

TEST(Cgi, UnknownOrNonExecutableScriptsAre404AndNeverShown) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  for (const char* target : {"/missing.sh", "/noexec.sh", "/sub", "/sub/", "/"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_EQ(response.status, 404) << target << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, "printf")) << target;
  }
}

TEST(Cgi, EscapesAreRefusedAndNothingOutsideRuns) {
  CgiDir cgi;
  std::string ran = cgi.dir.file("escaped");
  cgi.dir.write_script("outside.sh",
                       "touch '" + ran + "'\nprintf 'Content-Type: text/plain\\n\\nx'\n");
  fs::create_symlink(cgi.dir.file("outside.sh"), cgi.root + "/link.sh");
  ServerProcess server({"--cgidir=" + cgi.root});
  for (const char* target :
       {"/../outside.sh", "/%2e%2e/outside.sh", "/sub/%2E%2E/%2e%2e/outside.sh", "/link.sh",
        "/env.sh/../../outside.sh"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    // Refused with 403, as under --dir; never run.
    EXPECT_EQ(response.status, 403) << target << ": " << response.describe();
  }
  // Every script that runs is logged with its path (cgiscript); a script in
  // --cgidir is run last as a control, so its line proves the log is read
  // after the refusals were handled.
  ASSERT_EQ(plain_get(server.port(), "/env.sh").status, 200);
  ASSERT_TRUE(server.wait_for_log_line({"cgiscript", "env.sh"}).has_value())
      << server.diagnostics();
  for (const std::string& line : server.log_lines()) {
    if (contains(line, "cgiscript")) {
      EXPECT_TRUE(contains(line, "env.sh")) << line;
    }
  }
  EXPECT_FALSE(fs::exists(ran)) << "a script outside --cgidir was run";
}

TEST(Cgi, ChunkedRequestBodyIs411) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpRequest request =
      post("/echo_body.sh", "5\r\nhello\r\n0\r\n\r\n", {{"Transfer-Encoding", "chunked"}});
  PlainHttpResponse response = plain_http(server.port(), request);
  EXPECT_EQ(response.status, 411) << response.describe();
}

TEST(Cgi, BodyOver64MiBIs413) {
  CgiDir cgi;
  std::string ran = cgi.dir.file("ran");
  cgi.dir.write_script("cgi/count.sh",
                       "touch '" + ran + "'\nprintf 'Content-Type: text/plain\\n\\n'\nwc -c\n");
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  // Only the head is sent: the answer must not wait for 64 MiB of body.
  ASSERT_TRUE(
      connection->send_raw("POST /count.sh HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 67108865\r\n\r\nsome of the body"));
  PlainHttpResponse response = connection->read_response(10s);
  EXPECT_EQ(response.status, 413) << response.describe();
  EXPECT_FALSE(fs::exists(ran)) << "the script ran for a refused body";
}

TEST(Cgi, StderrGoesToTheLog) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  PlainHttpResponse response = plain_get(server.port(), "/stderr.sh");
  EXPECT_EQ(response.status, 200) << response.describe();
  EXPECT_EQ(response.body, "ok\n");
  EXPECT_FALSE(contains(response.body, "oops")) << response.describe();
  auto line = server.wait_for_log_line({"| ERROR  | stderr", "oops on stderr"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Cgi, EveryRequestIsLoggedAtAccessLevel) {
  CgiDir cgi;
  ServerProcess server({"--cgidir=" + cgi.root});
  ASSERT_EQ(plain_get(server.port(), "/status.sh?z=9").status, 404);
  auto line = server.wait_for_log_line({"| ACCESS |", "/status.sh?z=9", "CGI"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "url"),
            "http://127.0.0.1:" + std::to_string(server.port()) + "/status.sh?z=9");
  EXPECT_EQ(log_field(*line, "status"), "404") << *line;
  ASSERT_EQ(plain_get(server.port(), "/missing.sh").status, 404);
  EXPECT_TRUE(server.wait_for_log_line({"| ACCESS |", "/missing.sh", "NOT FOUND"}).has_value())
      << server.diagnostics();
}

TEST(Cgi, MaxforksCountsCgiScripts) {
  CgiDir cgi;
  ServerProcess server({"--maxforks=1", "--cgidir=" + cgi.root, "cat"});
  auto holder = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest slow;
  slow.target = "/slow.sh";
  ASSERT_TRUE(holder->send_raw(holder->serialize(slow)));
  ASSERT_TRUE(contains(holder->read_raw_until("first", 10s), "first"));

  PlainHttpResponse refused = plain_get(server.port(), "/env.sh");
  EXPECT_EQ(refused.status, 429) << refused.describe();
  // WebSocket children share the same count.
  EXPECT_EQ(WsClient::handshake(client_options(server)).http_status, 429);

  cgi.dir.write_file("release", "");
  std::string rest;
  EXPECT_TRUE(holder->wait_closed(10s, &rest));
  EXPECT_TRUE(contains(rest, "second")) << rest;
  // The slot comes back once the script is reaped.
  EXPECT_TRUE(
      wait_until([&] { return plain_get(server.port(), "/env.sh").status == 200; }, 5s, 50ms));
}

TEST(Cgi, WebSocketChildrenCountAgainstCgi) {
  CgiDir cgi;
  ServerProcess server({"--maxforks=1", "--cgidir=" + cgi.root, "cat"});
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_text("hold"));
  ASSERT_TRUE(IsText(client->read(5s), "hold"));
  PlainHttpResponse refused = plain_get(server.port(), "/env.sh");
  EXPECT_EQ(refused.status, 429) << refused.describe();
  ASSERT_TRUE(client->close());
  EXPECT_TRUE(
      wait_until([&] { return plain_get(server.port(), "/env.sh").status == 200; }, 5s, 50ms));
}

// The client leaves while the script hangs; the script must be ended
// through the ladder (by SIGKILL if it ignores the polite signals).
void expect_hanging_script_ended(bool headers_first, bool stubborn) {
  CgiDir cgi;
  std::string pid_file = cgi.dir.file("script.pid");
  cgi.hanging_script("hang.sh", pid_file, headers_first, stubborn);
  ServerProcess server({"--cgidir=" + cgi.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest request;
  request.target = "/hang.sh";
  ASSERT_TRUE(connection->send_raw(connection->serialize(request)));
  pid_t pid = 0;
  ASSERT_TRUE(wait_until([&] { return (pid = read_pid_file(pid_file)) != 0; }, 10s));
  PidCleanup cleanup;
  cleanup.add(pid);
  ASSERT_TRUE(wait_until([&] { return process_name(pid) == "sleep"; }, 5s));
  if (headers_first) {
    ASSERT_TRUE(contains(connection->read_raw_until("started", 10s), "started"));
  }
  connection->close();
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, kScriptGoneDeadline))
      << "script " << pid << " still there " << kScriptGoneDeadline.count()
      << " ms after its client left\n"
      << server.diagnostics();
}

TEST(Cgi, HangingScriptIsEndedWhenTheClientLeavesAfterHeaders) {
  expect_hanging_script_ended(/*headers_first=*/true, /*stubborn=*/false);
}

TEST(Cgi, StubbornHangingScriptIsKilledWhenTheClientLeavesAfterHeaders) {
  expect_hanging_script_ended(/*headers_first=*/true, /*stubborn=*/true);
}

TEST(Cgi, HangingScriptIsEndedWhenTheClientLeavesBeforeHeaders) {
  expect_hanging_script_ended(/*headers_first=*/false, /*stubborn=*/false);
}

TEST(Cgi, CgidirInsideStaticdirNeverServesSource) {
  TempDir dir;
  std::string www = dir.file("www");
  fs::create_directories(www + "/cgi-bin");
  dir.write_file("www/index.html", "<p>home</p>\n");
  dir.write_script("www/cgi-bin/run.sh",
                   "# SOURCE-OF-RUN\nprintf 'Content-Type: text/plain\\n\\nran as cgi\\n'\n");
  dir.write_file("www/cgi-bin/source.sh", "#!/bin/bash\n# SOURCE-OF-SECRET password=hunter2\n",
                 0644);
  dir.write_file("www/cgi-bin/data.txt", "SOURCE-OF-DATA\n", 0644);
  fs::create_directory_symlink(www + "/cgi-bin", www + "/alias");
  ServerProcess server({"--staticdir=" + www, "--cgidir=" + www + "/cgi-bin"});

  for (const char* target : {"/cgi-bin/source.sh", "/cgi-bin/data.txt", "/alias/source.sh",
                             "/source.sh", "/data.txt", "/cgi-bin/%73ource.sh"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_NE(response.status, 200) << target << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, "SOURCE-OF")) << target << ": " << response.describe();
  }
  // Through the static path the non-executable files are forbidden.
  EXPECT_EQ(plain_get(server.port(), "/cgi-bin/source.sh").status, 403);
  EXPECT_EQ(plain_get(server.port(), "/cgi-bin/data.txt").status, 403);
  // The executable one is never shown as text either way...
  PlainHttpResponse via_static = plain_get(server.port(), "/cgi-bin/run.sh");
  EXPECT_FALSE(contains(via_static.body, "SOURCE-OF-RUN")) << via_static.describe();
  EXPECT_TRUE(via_static.status == 403 || via_static.body == "ran as cgi\n")
      << via_static.describe();
  // ...and runs as CGI at its --cgidir URL.
  PlainHttpResponse run = plain_get(server.port(), "/run.sh");
  EXPECT_EQ(run.status, 200) << run.describe();
  EXPECT_EQ(run.body, "ran as cgi\n");
  // The rest of the site is served as usual.
  PlainHttpResponse home = plain_get(server.port(), "/");
  EXPECT_EQ(home.status, 200) << home.describe();
  EXPECT_EQ(home.body, "<p>home</p>\n");
}

TEST(Cgi, MissingDirectoryIsAStartupError) {
  TempDir dir;
  RunResult result =
      run_to_exit({"--port=" + std::to_string(free_port()), "--cgidir=" + dir.file("nope")});
  ASSERT_TRUE(result.status.has_value()) << "did not exit";
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, "--cgidir")) << result.err;
}

}  // namespace
}  // namespace wsexec_test
