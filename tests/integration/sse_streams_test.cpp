// The event stream over what is not plain HTTP/1.1 (docs/sse-protocol.md):
// TLS (--ssl, the same code over the TLS stream) and HTTP/1.0 (the
// response is close-delimited: no chunks, the end of the connection ends it);
// and with the options that change what a stream carries: --dir (one
// endpoint per script) and --passstderr (both streams, tagged).
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "harness.hpp"
#include "http_request.hpp"
#include "sse_client.hpp"
#include "test_pki.hpp"

namespace wsexec_test {
namespace {

TEST(SseStreams, OverTlsTheStreamAndThePostsWork) {
  const CertificateFiles& files = shared_pki().server;
  ServerOptions options;
  options.args = {
      "--ssl", "--sslcert=" + files.certificate,       "--sslkey=" + files.key, "--sse", "sh",
      "-c",    "read line; echo \"got $line\"; exit 3"};
  options.startup_timeout = 20000ms;
  ServerProcess server(options);
  const RunResult run =
      run_program(WSEXEC_SOURCE_DIR "/tests/integration/clients/python_sse_client.py",
                  {"--port", std::to_string(server.port()), "--cafile", shared_pki().ca_certificate,
                   "--post", "over tls"},
                  20s);
  ASSERT_TRUE(run.status) << "the client did not finish";
  EXPECT_TRUE(run.status->exited && run.status->code == 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "status=200 chunked=True\n")) << run.out;
  EXPECT_TRUE(contains(run.out, "event=session id=0 ")) << run.out;
  EXPECT_TRUE(contains(run.out, "posted=204\n")) << run.out;
  EXPECT_TRUE(contains(run.out, "event=message id=1 data=got over tls\n")) << run.out;
  EXPECT_TRUE(contains(run.out, R"(event=close id=2 data={"code":1000,"reason":"exit 3"})"))
      << run.out;
  EXPECT_TRUE(server.wait_for_log_line({"CONNECT", "transport:'sse'", "url:'https://"}))
      << server.diagnostics();
}

TEST(SseStreams, AnHttp10StreamIsCloseDelimited) {
  ServerProcess server({"--sse", "sh", "-c", "echo one; exit 3"});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  ASSERT_TRUE(connection->send_raw("GET /old HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n"));
  std::string received;
  ASSERT_TRUE(connection->wait_closed(10000ms, &received)) << received;
  const auto head_end = received.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << received;
  const std::string head = received.substr(0, head_end + 4);
  const std::string body = received.substr(head_end + 4);
  EXPECT_TRUE(head.starts_with("HTTP/1.0 200 ")) << head;
  EXPECT_TRUE(contains(head, "Content-Type: text/event-stream")) << head;
  EXPECT_FALSE(contains(head, "Transfer-Encoding")) << head;
  EXPECT_FALSE(contains(head, "Content-Length")) << head;
  // The events as they are, up to the close event, then the end.
  EXPECT_TRUE(body.starts_with("event: session\nid: 0\ndata: {")) << body;
  EXPECT_TRUE(contains(body, "\n\nid: 1\ndata: one\n\n")) << body;
  EXPECT_TRUE(
      body.ends_with("event: close\nid: 2\ndata: {\"code\":1000,\"reason\":\"exit 3\"}\n\n"))
      << body;
}

TEST(SseStreams, EachDirEndpointRunsItsOwnScriptAndAMissingOneIs404) {
  TempDir dir;
  dir.write_script("a.sh", "echo from a");
  dir.write_script("b.sh", "echo from b");
  ServerProcess server({"--sse", "--dir=" + dir.path()});
  for (const std::string name : {"a", "b"}) {
    SseTestStream stream(server.port(), "/" + name + ".sh");
    ASSERT_EQ(stream.status(), 200) << stream.head();
    session_of(stream);
    const auto line = stream.next();
    ASSERT_TRUE(line) << name;
    EXPECT_EQ(line->data, "from " + name);
  }
  SseTestStream missing(server.port(), "/missing.sh");
  EXPECT_EQ(missing.status(), 404) << missing.head();
}

// As a WebSocket client gets them (the man page, --passstderr): every line
// a JSON text naming its stream. The two pipes' lines may come in either
// order.
TEST(SseStreams, WithPassstderrBothStreamsLinesArriveTagged) {
  ServerProcess server({"--sse", "--passstderr", "sh", "-c", "echo out; echo err >&2; sleep 1"});
  SseTestStream stream(server.port(), "/");
  session_of(stream);
  std::set<nlohmann::json> lines;
  for (int i = 0; i < 2; ++i) {
    const auto event = stream.next();
    ASSERT_TRUE(event) << "event " << i;
    EXPECT_EQ(event->name, "message");
    lines.insert(nlohmann::json::parse(event->data));
  }
  EXPECT_EQ(lines, (std::set<nlohmann::json>{
                       nlohmann::json::parse(R"({"stream":"stdout","data":"out"})"),
                       nlohmann::json::parse(R"({"stream":"stderr","data":"err"})")}));
}

// The program starts once its client's name is known, as for an upgrade
// (environment_test.cpp): /etc/hosts names 127.0.0.1 everywhere.
TEST(SseStreams, WithReverselookupTheProgramSeesTheClientsName) {
  ServerProcess server(
      {"--sse", "--reverselookup", "sh", "-c", "echo \"$REMOTE_HOST $REMOTE_ADDR\""});
  SseTestStream stream(server.port(), "/");
  session_of(stream);
  const auto line = stream.next();
  ASSERT_TRUE(line);
  EXPECT_EQ(line->data, "localhost 127.0.0.1");
}

}  // namespace
}  // namespace wsexec_test
