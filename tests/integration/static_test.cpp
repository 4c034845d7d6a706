// --staticdir=DIR (issue 3, item 2): files confined to DIR, index.html for
// directories, a slash redirect for directories named without one,
// Content-Type by extension, HEAD, Last-Modified / If-Modified-Since,
// Range, large files streamed, 404 / 403 / 405 where fitting, every request
// logged. WebSocket upgrades on the same port still reach the program.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

// 2020-01-01T00:00:00Z, as a time_t and as an HTTP date.
constexpr time_t kOldMtime = 1577836800;
constexpr const char* kOldMtimeHttp = "Wed, 01 Jan 2020 00:00:00 GMT";

void set_mtime(const std::string& path, time_t when) {
  timespec times[2] = {{when, 0}, {when, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

// A small site: typed files, nested index pages, a directory without one.
struct Site {
  TempDir dir;
  std::string root;
  std::string png_bytes =
      std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + std::string(100, '\xff');
  Site() {
    root = dir.file("www");
    fs::create_directories(root + "/sub");
    fs::create_directories(root + "/noindex");
    dir.write_file("www/index.html", "<!doctype html><title>home</title>\n");
    dir.write_file("www/style.css", "body { color: red; }\n");
    dir.write_file("www/app.js", "console.log('hi');\n");
    dir.write_file("www/data.json", "{\"a\": 1}\n");
    dir.write_file("www/notes.txt", "plain text\n");
    dir.write_file("www/icon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
    dir.write_file("www/image.png", png_bytes);
    dir.write_file("www/blob", "no extension\n");
    dir.write_file("www/sub/index.html", "<p>sub index</p>\n");
    dir.write_file("www/sub/page.html", "<p>sub page</p>\n");
    dir.write_file("www/noindex/file.txt", "inside noindex\n");
    dir.write_file("www/with space.txt", "spaced\n");
    dir.write_file("www/digits.txt", "0123456789abcdefghijklmnopqrstuvwxyz");
    // Beside the root: what an escape would reveal.
    dir.write_file("secret.txt", "TOP SECRET\n");
  }
};

TEST(Static, GetServesFilesWithTheirContentType) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  const struct {
    const char* target;
    const char* type_prefix;
    std::string body;
  } cases[] = {
      {"/index.html", "text/html", "<!doctype html><title>home</title>\n"},
      {"/style.css", "text/css", "body { color: red; }\n"},
      {"/app.js", "text/javascript", "console.log('hi');\n"},
      {"/data.json", "application/json", "{\"a\": 1}\n"},
      {"/notes.txt", "text/plain", "plain text\n"},
      {"/icon.svg", "image/svg+xml", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"},
      {"/image.png", "image/png", site.png_bytes},
      {"/blob", "application/octet-stream", "no extension\n"},
      {"/sub/page.html", "text/html", "<p>sub page</p>\n"},
      {"/with%20space.txt", "text/plain", "spaced\n"},
  };
  for (const auto& c : cases) {
    PlainHttpResponse response = plain_get(server.port(), c.target);
    ASSERT_EQ(response.status, 200) << c.target << ": " << response.describe();
    EXPECT_TRUE(response.complete()) << c.target << ": " << response.describe();
    EXPECT_EQ(response.body, c.body) << c.target;
    EXPECT_EQ(response.header("Content-Length"), std::to_string(c.body.size())) << c.target;
    EXPECT_EQ(response.header("Content-Type").value_or("").rfind(c.type_prefix, 0), 0u)
        << c.target << ": " << response.describe();
  }
}

TEST(Static, DirectoriesServeTheirIndexHtml) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  PlainHttpResponse home = plain_get(server.port(), "/");
  EXPECT_EQ(home.status, 200) << home.describe();
  EXPECT_EQ(home.body, "<!doctype html><title>home</title>\n");
  EXPECT_EQ(home.header("Content-Type").value_or("").rfind("text/html", 0), 0u);
  PlainHttpResponse sub = plain_get(server.port(), "/sub/");
  EXPECT_EQ(sub.status, 200) << sub.describe();
  EXPECT_EQ(sub.body, "<p>sub index</p>\n");
  PlainHttpResponse query = plain_get(server.port(), "/sub/?cache=bust");
  EXPECT_EQ(query.status, 200) << query.describe();
  EXPECT_EQ(query.body, "<p>sub index</p>\n");
  // No index.html and no listing.
  PlainHttpResponse noindex = plain_get(server.port(), "/noindex/");
  EXPECT_EQ(noindex.status, 404) << noindex.describe();
  EXPECT_FALSE(contains(noindex.body, "file.txt")) << noindex.describe();
}

TEST(Static, DirectoryWithoutTrailingSlashIsRedirected) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  PlainHttpResponse sub = plain_get(server.port(), "/sub");
  EXPECT_EQ(sub.status, 301) << sub.describe();
  EXPECT_EQ(sub.header("Location"), "/sub/") << sub.describe();
  PlainHttpResponse with_query = plain_get(server.port(), "/sub?x=1");
  EXPECT_EQ(with_query.status, 301) << with_query.describe();
  EXPECT_EQ(with_query.header("Location"), "/sub/?x=1") << with_query.describe();
  auto line = server.wait_for_log_line({"| ACCESS |", "/sub", "MOVED PERMANENTLY"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

// As websocketd's router does: ".." that stays inside the directory is a
// 301 to the normalised path (which is then served).
TEST(Static, DotDotStayingInsideIsRedirectedToTheNormalisedPath) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  PlainHttpResponse response = plain_get(server.port(), "/sub/../notes.txt?v=2");
  EXPECT_EQ(response.status, 301) << response.describe();
  EXPECT_EQ(response.header("Location"), "/notes.txt?v=2") << response.describe();
  EXPECT_EQ(plain_get(server.port(), "/notes.txt?v=2").body, "plain text\n");
}

TEST(Static, MissingFilesAre404) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  for (const char* target : {"/nope.html", "/sub/nope", "/index.html/", "/nodir/file.txt"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_EQ(response.status, 404) << target << ": " << response.describe();
  }
  auto line = server.wait_for_log_line(
      {"| ACCESS |", "url:'http://127.0.0.1:" + std::to_string(server.port()) + "/nope.html'",
       "NOT FOUND"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Static, EscapesAreForbidden) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  for (const char* target :
       {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
        "/sub/%2e%2e/%2e%2e/secret.txt", "/.%2e/secret.txt"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_EQ(response.status, 403) << target << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, "TOP SECRET")) << target;
  }
  auto line = server.wait_for_log_line({"| ACCESS |", "/%2e%2e/secret.txt", "FORBIDDEN"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Static, SymlinksOutOfTheDirectoryAreForbidden) {
  Site site;
  fs::create_symlink(site.dir.file("secret.txt"), site.root + "/leak.txt");
  fs::create_directory_symlink(site.dir.path(), site.root + "/up");
  fs::create_symlink("/etc/passwd", site.root + "/passwd");
  // A symlink that stays inside is fine.
  fs::create_symlink(site.root + "/notes.txt", site.root + "/alias.txt");
  ServerProcess server({"--staticdir=" + site.root});
  for (const char* target : {"/leak.txt", "/up/secret.txt", "/passwd", "/up/", "/up"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_EQ(response.status, 403) << target << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, "TOP SECRET")) << target;
    EXPECT_FALSE(contains(response.body, "root:")) << target;
  }
  PlainHttpResponse alias = plain_get(server.port(), "/alias.txt");
  EXPECT_EQ(alias.status, 200) << alias.describe();
  EXPECT_EQ(alias.body, "plain text\n");
}

TEST(Static, HeadSendsTheHeadersWithoutTheBody) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  PlainHttpRequest head;
  head.method = "HEAD";
  head.target = "/style.css";
  head.keep_alive = true;
  PlainHttpResponse response = connection->request(head);
  ASSERT_EQ(response.status, 200) << response.describe();
  EXPECT_EQ(response.header("Content-Length"), "21");
  EXPECT_EQ(response.header("Content-Type").value_or("").rfind("text/css", 0), 0u);
  EXPECT_TRUE(response.header("Last-Modified").has_value()) << response.describe();
  // Had the body been sent, it would be read as the start of this answer.
  PlainHttpRequest get;
  get.target = "/notes.txt";
  PlainHttpResponse next = connection->request(get);
  EXPECT_EQ(next.status, 200) << next.describe();
  EXPECT_EQ(next.body, "plain text\n");
}

TEST(Static, KeepAliveServesSeveralRequestsOnOneConnection) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  const struct {
    const char* target;
    int status;
  } cases[] = {{"/notes.txt", 200}, {"/missing", 404}, {"/sub", 301}, {"/data.json", 200}};
  for (const auto& c : cases) {
    PlainHttpRequest request;
    request.target = c.target;
    request.keep_alive = true;
    PlainHttpResponse response = connection->request(request);
    EXPECT_TRUE(response.complete()) << c.target << ": " << response.describe();
    EXPECT_EQ(response.status, c.status) << c.target << ": " << response.describe();
    EXPECT_NE(response.header("Connection"), "close") << c.target << ": " << response.describe();
  }
  EXPECT_EQ(plain_get(server.port(), "/data.json").body, "{\"a\": 1}\n");
  EXPECT_FALSE(connection->peer_closed());
}

TEST(Static, IfModifiedSinceAnswers304) {
  Site site;
  set_mtime(site.root + "/notes.txt", kOldMtime);
  ServerProcess server({"--staticdir=" + site.root});
  PlainHttpResponse plain = plain_get(server.port(), "/notes.txt");
  ASSERT_EQ(plain.status, 200) << plain.describe();
  EXPECT_EQ(plain.header("Last-Modified"), kOldMtimeHttp) << plain.describe();

  PlainHttpResponse same =
      plain_get(server.port(), "/notes.txt", {{"If-Modified-Since", kOldMtimeHttp}});
  EXPECT_EQ(same.status, 304) << same.describe();
  EXPECT_TRUE(same.body.empty()) << same.describe();
  PlainHttpResponse later = plain_get(server.port(), "/notes.txt",
                                      {{"If-Modified-Since", "Sat, 01 Feb 2020 00:00:00 GMT"}});
  EXPECT_EQ(later.status, 304) << later.describe();
  PlainHttpResponse earlier = plain_get(server.port(), "/notes.txt",
                                        {{"If-Modified-Since", "Tue, 31 Dec 2019 23:59:59 GMT"}});
  EXPECT_EQ(earlier.status, 200) << earlier.describe();
  EXPECT_EQ(earlier.body, "plain text\n");
  PlainHttpResponse garbage =
      plain_get(server.port(), "/notes.txt", {{"If-Modified-Since", "not a date"}});
  EXPECT_EQ(garbage.status, 200) << garbage.describe();
  auto line = server.wait_for_log_line({"| ACCESS |", "/notes.txt", "status:'304'", "STATIC"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Static, RangeRequestsAnswer206) {
  Site site;  // digits.txt: "0123456789abcdefghijklmnopqrstuvwxyz" (36 bytes)
  ServerProcess server({"--staticdir=" + site.root});
  PlainHttpResponse whole = plain_get(server.port(), "/digits.txt");
  ASSERT_EQ(whole.status, 200) << whole.describe();
  EXPECT_EQ(whole.header("Accept-Ranges"), "bytes") << whole.describe();

  PlainHttpResponse middle = plain_get(server.port(), "/digits.txt", {{"Range", "bytes=10-19"}});
  EXPECT_EQ(middle.status, 206) << middle.describe();
  EXPECT_EQ(middle.body, "abcdefghij");
  EXPECT_EQ(middle.header("Content-Range"), "bytes 10-19/36") << middle.describe();
  EXPECT_EQ(middle.header("Content-Length"), "10") << middle.describe();

  PlainHttpResponse open_end = plain_get(server.port(), "/digits.txt", {{"Range", "bytes=30-"}});
  EXPECT_EQ(open_end.status, 206) << open_end.describe();
  EXPECT_EQ(open_end.body, "uvwxyz");
  EXPECT_EQ(open_end.header("Content-Range"), "bytes 30-35/36") << open_end.describe();

  PlainHttpResponse suffix = plain_get(server.port(), "/digits.txt", {{"Range", "bytes=-4"}});
  EXPECT_EQ(suffix.status, 206) << suffix.describe();
  EXPECT_EQ(suffix.body, "wxyz");
  EXPECT_EQ(suffix.header("Content-Range"), "bytes 32-35/36") << suffix.describe();

  PlainHttpResponse past_end = plain_get(server.port(), "/digits.txt", {{"Range", "bytes=36-"}});
  EXPECT_EQ(past_end.status, 416) << past_end.describe();
  EXPECT_EQ(past_end.header("Content-Range"), "bytes */36") << past_end.describe();
  EXPECT_FALSE(contains(past_end.body, "0123")) << past_end.describe();

  auto line = server.wait_for_log_line({"| ACCESS |", "/digits.txt", "status:'206'", "STATIC"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Static, LargeFileIsStreamedNotReadIntoMemory) {
  Site site;
  constexpr std::size_t kSize = 32u << 20;  // 32 MiB
  std::string content(kSize, 'x');
  for (std::size_t i = 0; i < kSize; i += 4096)
    content[i] = static_cast<char>('a' + (i / 4096) % 26);
  const std::string early_mark = "EARLY-MARK";
  const std::string end_mark = "END-OF-FILE";
  content.replace(1u << 20, early_mark.size(), early_mark);
  content.replace(kSize - end_mark.size(), end_mark.size(), end_mark);
  site.dir.write_file("www/big.bin", content);
  ServerProcess server({"--staticdir=" + site.root});
  ASSERT_EQ(plain_get(server.port(), "/notes.txt").status, 200);  // warm up
  const long baseline_kib = resident_kib(server.pid());
  ASSERT_GT(baseline_kib, 0);

  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  ASSERT_TRUE(
      connection->send_raw("GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  std::string received = connection->read_raw_until(early_mark, 10s);
  ASSERT_TRUE(contains(received, early_mark)) << "got " << received.size() << " bytes";
  // The client stops reading: the socket buffers fill and the server must
  // wait, holding only its chunk, not the file.
  std::this_thread::sleep_for(500ms);
  const long stalled_kib = resident_kib(server.pid());
  ASSERT_GT(stalled_kib, 0) << "the server is gone";
  EXPECT_LT(stalled_kib - baseline_kib, 16 * 1024)
      << "server grew from " << baseline_kib << " KiB to " << stalled_kib << " KiB";
  received += connection->read_raw_until(end_mark, 30s);
  ASSERT_TRUE(connection->wait_closed(5s)) << "the server kept the connection open";
  const auto head_end = received.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(http_status_of(received), 200);
  EXPECT_EQ(http_header(received.substr(0, head_end + 4), "Content-Length"), std::to_string(kSize));
  ASSERT_EQ(received.size() - head_end - 4, kSize);
  EXPECT_TRUE(received.compare(head_end + 4, std::string::npos, content) == 0)
      << "the body differs from the file";
}

TEST(Static, AbsoluteFormTargetIsAccepted) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  const std::string authority = "127.0.0.1:" + std::to_string(server.port());
  PlainHttpResponse response = plain_get(server.port(), "http://" + authority + "/notes.txt");
  EXPECT_EQ(response.status, 200) << response.describe();
  EXPECT_EQ(response.body, "plain text\n");
}

TEST(Static, HeaderOptionsApplyToFileResponses) {
  Site site;
  ServerProcess server({"--header=X-All: everywhere", "--header-http=X-Http: plain only",
                        "--header-ws=X-Ws: upgrades only", "--staticdir=" + site.root});
  for (const char* target : {"/notes.txt", "/missing", "/sub"}) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_EQ(response.header("X-All"), "everywhere") << target << ": " << response.describe();
    EXPECT_EQ(response.header("X-Http"), "plain only") << target << ": " << response.describe();
    EXPECT_FALSE(response.header("X-Ws").has_value()) << target << ": " << response.describe();
  }
}

TEST(Static, OtherMethodsAre405WithAllow) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    PlainHttpRequest request;
    request.method = method;
    request.target = "/notes.txt";
    if (std::string(method) == "POST" || std::string(method) == "PUT") request.body = "data";
    PlainHttpResponse response = plain_http(server.port(), request);
    EXPECT_EQ(response.status, 405) << method << ": " << response.describe();
    EXPECT_EQ(response.header("Allow"), "GET, HEAD") << method << ": " << response.describe();
  }
  auto line = server.wait_for_log_line({"| ACCESS |", "/notes.txt", "METHOD NOT ALLOWED"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Static, EveryRequestIsLoggedWithUrlAndStatus) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root});
  ASSERT_EQ(plain_get(server.port(), "/style.css?v=3").status, 200);
  auto line = server.wait_for_log_line({"| ACCESS |", "STATIC"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "url"),
            "http://127.0.0.1:" + std::to_string(server.port()) + "/style.css?v=3")
      << *line;
  EXPECT_EQ(log_field(*line, "status"), "200") << *line;
  EXPECT_EQ(log_field(*line, "remote"), "127.0.0.1") << *line;
}

TEST(Static, WebSocketUpgradeStillReachesTheCommand) {
  Site site;
  ServerProcess server({"--staticdir=" + site.root, "cat"});
  auto client = connect_to(server, "/");
  ASSERT_TRUE(client->send_text("through the static server"));
  EXPECT_TRUE(IsText(client->read(5s), "through the static server"));
  // And the same port still serves files.
  PlainHttpResponse page = plain_get(server.port(), "/");
  EXPECT_EQ(page.status, 200) << page.describe();
  EXPECT_EQ(page.body, "<!doctype html><title>home</title>\n");
  EXPECT_TRUE(server.wait_for_log_line({"| ACCESS |", "CONNECT"}).has_value())
      << server.diagnostics();
}

TEST(Static, WorksTogetherWithDir) {
  Site site;
  fs::create_directories(site.dir.file("endpoints"));
  site.dir.write_script("endpoints/hello.sh", "echo \"hello from $SCRIPT_NAME\"\n");
  ServerProcess server({"--staticdir=" + site.root, "--dir=" + site.dir.file("endpoints")});
  auto client = connect_to(server, "/hello.sh");
  EXPECT_TRUE(IsText(client->read(5s), "hello from /hello.sh"));
  PlainHttpResponse page = plain_get(server.port(), "/index.html");
  EXPECT_EQ(page.status, 200) << page.describe();
  // A file of the static site is not an endpoint.
  EXPECT_EQ(WsClient::handshake(client_options(server, "/index.html")).http_status, 404);
}

TEST(Static, ServesOverIpv6Loopback) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback on this machine";
  Site site;
  ServerOptions options;
  options.add_listen_args = false;
  options.port = free_port();
  options.args = {"--port=" + std::to_string(options.port), "--address=[::1]",
                  "--staticdir=" + site.root};
  ServerProcess server(std::move(options));
  PlainHttpRequest request;
  request.target = "/notes.txt";
  PlainHttpResponse response = plain_http(server.port(), request, 10s, "::1");
  EXPECT_EQ(response.status, 200) << response.describe();
  EXPECT_EQ(response.body, "plain text\n");
  auto line = server.wait_for_log_line({"| ACCESS |", "STATIC"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_EQ(log_field(*line, "remote"), "::1") << *line;
}

// --redirport without --ssl (issue 3, item 5; the https case is in tls_test.cpp).
TEST(StaticRedirport, PlainRedirectPortSendsClientsToTheCanonicalPort) {
  Site site;
  std::uint16_t redirect_port = free_port();
  ServerOptions options;
  options.port = free_port();
  while (redirect_port == options.port) redirect_port = free_port();
  options.args = {"--redirport=" + std::to_string(redirect_port), "--staticdir=" + site.root};
  ServerProcess server(std::move(options));
  ASSERT_TRUE(wait_until([&] { return process_listens_on(server.pid(), redirect_port); }, 10s))
      << server.diagnostics();
  const std::string canonical = std::to_string(server.port());
  const struct {
    std::string host;
    std::string location;
  } cases[] = {
      {"example.com:" + std::to_string(redirect_port),
       "http://example.com:" + canonical + "/sub/page.html?a=1&b=2"},
      {"example.com", "http://example.com:" + canonical + "/sub/page.html?a=1&b=2"},
      {"127.0.0.1:" + std::to_string(redirect_port),
       "http://127.0.0.1:" + canonical + "/sub/page.html?a=1&b=2"},
  };
  for (const auto& c : cases) {
    PlainHttpRequest request;
    request.target = "/sub/page.html?a=1&b=2";
    request.headers = {{"Host", c.host}};
    PlainHttpResponse response = plain_http(redirect_port, request);
    EXPECT_EQ(response.status, 301) << c.host << ": " << response.describe();
    EXPECT_EQ(response.header("Location"), c.location) << c.host << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, "sub page")) << "the redirect port served the file";
  }
  // Following the redirect lands on the file.
  PlainHttpResponse page = plain_get(server.port(), "/sub/page.html?a=1&b=2");
  EXPECT_EQ(page.status, 200) << page.describe();
  EXPECT_EQ(page.body, "<p>sub page</p>\n");
  EXPECT_TRUE(
      server.wait_for_log_line({"| ACCESS |", "/sub/page.html?a=1&b=2", "MOVED PERMANENTLY"})
          .has_value())
      << server.diagnostics();
}

TEST(Static, MissingDirectoryIsAStartupError) {
  TempDir dir;
  RunResult result =
      run_to_exit({"--port=" + std::to_string(free_port()), "--staticdir=" + dir.file("nope")});
  ASSERT_TRUE(result.status.has_value()) << "did not exit";
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, "--staticdir")) << result.err;
}

TEST(Static, DevconsoleWithStaticdirOrCgidirIsRefused) {
  Site site;
  for (const char* option : {"--staticdir", "--cgidir"}) {
    RunResult result = run_to_exit({"--port=" + std::to_string(free_port()), "--devconsole",
                                    std::string(option) + "=" + site.root, "cat"});
    ASSERT_TRUE(result.status.has_value()) << option << ": did not exit";
    EXPECT_TRUE(result.status->exited && result.status->code == 1)
        << option << ": " << describe(*result.status);
    EXPECT_TRUE(contains(result.err, "--devconsole")) << result.err;
    EXPECT_TRUE(contains(result.err, option)) << result.err;
    EXPECT_TRUE(result.out.empty() || !contains(result.out, "Starting")) << result.out;
  }
}

}  // namespace
}  // namespace wsexec_test
