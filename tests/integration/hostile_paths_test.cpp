// Hostile URLs and request framing (issue 12, item 6): traversal attempts on
// --staticdir, --cgidir and --dir (dot-dot raw, percent-encoded, doubly
// encoded, with NUL, with a backslash, through a symlink pointing outside)
// must never reach a file or a script outside the directory; and a CGI
// request whose body length is ambiguous must be refused, its body never
// read as a second request.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "http_request.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecret = "TOP-SECRET-CONTENT";

// A served directory `root` next to what an escape would reach: a secret
// file and a script that leaves a marker when run, both beside it and in
// another directory that symlinks inside the root point to.
struct Battlefield {
  TempDir dir;
  std::string root = dir.file("root");
  std::string marker = dir.file("escaped");
  Battlefield() {
    fs::create_directories(root + "/sub");
    fs::create_directories(dir.file("outside"));
    const std::string escape =
        "touch '" + marker + "'\nprintf 'Content-Type: text/plain\\n\\n" + kSecret + "\\n'\n";
    for (const char* place : {"", "outside/"}) {
      dir.write_file(std::string(place) + "secret.txt", std::string(kSecret) + "\n");
      dir.write_script(std::string(place) + "escape.sh", escape);
    }
    dir.write_file("root/index.html", "<p>inside</p>\n");
    dir.write_script("root/ok.sh", "printf 'Content-Type: text/plain\\n\\nok\\n'\n");
    fs::create_symlink(dir.file("secret.txt"), root + "/link_file");
    fs::create_symlink(dir.file("escape.sh"), root + "/link_script");
    fs::create_directory_symlink(dir.file("outside"), root + "/link_dir");
  }
  bool escaped() const {
    std::this_thread::sleep_for(200ms);  // a script that did start has time to leave its marker
    return fs::exists(marker);
  }
};

// Every way we know to spell "the entry `leaf` one level above the root".
std::vector<std::string> escapes_to(const std::string& leaf, const std::string& link) {
  return {"/../" + leaf,
          "/sub/../../" + leaf,
          "/%2e%2e/" + leaf,
          "/%2E%2E/" + leaf,
          "/.%2e/" + leaf,
          "/%2e%2e%2f" + leaf,
          "/..%2f" + leaf,
          "/sub/%2e%2e/%2e%2e/" + leaf,
          "/%252e%252e/" + leaf,
          "/%252e%252e%252f" + leaf,
          "/index.html%00/../../" + leaf,
          "/..%00/" + leaf,
          "/" + leaf + "%00",
          "/..%5c" + leaf,
          "/..\\" + leaf,
          "/link_dir/" + leaf,
          "/" + link};
}

TEST(HostilePaths, TraversalNeverServesAFileOutsideStaticdir) {
  Battlefield field;
  ServerProcess server({"--staticdir=" + field.root, "cat"});
  ASSERT_EQ(plain_get(server.port(), "/index.html").status, 200);
  for (const std::string& target : escapes_to("secret.txt", "link_file")) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_NE(response.status, 200) << target << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, kSecret)) << target << ": " << response.describe();
  }
}

TEST(HostilePaths, TraversalNeverRunsAScriptOutsideCgidir) {
  Battlefield field;
  ServerProcess server({"--cgidir=" + field.root});
  PlainHttpResponse inside = plain_get(server.port(), "/ok.sh");
  ASSERT_EQ(inside.status, 200) << inside.describe();
  for (const std::string& target : escapes_to("escape.sh", "link_script")) {
    PlainHttpResponse response = plain_get(server.port(), target);
    EXPECT_FALSE(response.status >= 200 && response.status < 300)
        << target << ": " << response.describe();
    EXPECT_FALSE(contains(response.body, kSecret)) << target << ": " << response.describe();
  }
  EXPECT_FALSE(field.escaped()) << "a script outside --cgidir was run";
}

TEST(HostilePaths, TraversalNeverRunsAProgramOutsideDir) {
  Battlefield field;
  ServerProcess server({"--dir=" + field.root});
  auto upgrade_status = [&](const std::string& target) {
    RawWsConnection connection(server.port());
    UpgradeRequest request;
    request.target = target;
    return http_status_of(connection.request_upgrade(request));
  };
  ASSERT_EQ(upgrade_status("/ok.sh"), 101);
  for (const std::string& target : escapes_to("escape.sh", "link_script")) {
    EXPECT_NE(upgrade_status(target), 101) << target;
  }
  EXPECT_FALSE(field.escaped()) << "a program outside --dir was run";
}

// A CGI request whose body could be read two ways; `tail` is what a server
// that trusted the wrong length would take for a second request.
struct SmugglingCase {
  std::string name;
  std::string head_fields;
  std::string body;
};

TEST(HostilePaths, AmbiguousCgiBodyLengthIsRefusedAndNeverReadAsASecondRequest) {
  TempDir dir;
  const std::string root = dir.file("cgi");
  fs::create_directories(root);
  const std::string marker = dir.file("smuggled");
  dir.write_script("cgi/first.sh", "printf 'Content-Type: text/plain\\n\\nfirst\\n'\n");
  dir.write_script("cgi/second.sh",
                   "touch '" + marker + "'\nprintf 'Content-Type: text/plain\\n\\nsecond\\n'\n");
  ServerProcess server({"--cgidir=" + root});
  const std::string smuggled = "GET /second.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const std::string chunked_then_smuggled = "0\r\n\r\n" + smuggled;
  const std::string counted = "hello";
  const std::vector<SmugglingCase> cases = {
      {"Content-Length then chunked",
       "Content-Length: " + std::to_string(chunked_then_smuggled.size()) +
           "\r\nTransfer-Encoding: chunked\r\n",
       chunked_then_smuggled},
      {"chunked then Content-Length",
       "Transfer-Encoding: chunked\r\nContent-Length: " +
           std::to_string(chunked_then_smuggled.size()) + "\r\n",
       chunked_then_smuggled},
      {"two different Content-Lengths",
       "Content-Length: " + std::to_string(counted.size()) +
           "\r\nContent-Length: " + std::to_string(counted.size() + smuggled.size()) + "\r\n",
       counted + smuggled},
  };
  for (const SmugglingCase& attempt : cases) {
    auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
    ASSERT_TRUE(connection->send_raw("POST /first.sh HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                     attempt.head_fields + "\r\n" + attempt.body));
    PlainHttpResponse response = connection->read_response(5s);
    RecordProperty(attempt.name, std::to_string(response.status));
    const bool refused =
        response.status == 400 || (response.status == 411 && contains(attempt.name, "chunked"));
    EXPECT_TRUE(refused) << attempt.name << ": " << response.describe();
    std::string after;
    EXPECT_TRUE(connection->wait_closed(3s, &after)) << attempt.name << ": connection kept open";
    EXPECT_FALSE(contains(after, "HTTP/1.")) << attempt.name << ": a second response: " << after;
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(fs::exists(marker)) << "a smuggled request ran second.sh";
}

// RFC 7230 section 5.4: an HTTP/1.1 request without Host, or with two,
// MUST get 400; two Hosts are how a request reaches a site other than the
// one a proxy in front checked.
TEST(HostilePaths, RequestWithoutHostOrWithTwoHostsIs400) {
  Battlefield field;
  ServerProcess server({"--staticdir=" + field.root, "cat"});
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"no Host", "GET /index.html HTTP/1.1\r\nConnection: close\r\n\r\n"},
      {"two Hosts",
       "GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: elsewhere.example\r\n"
       "Connection: close\r\n\r\n"},
  };
  for (const auto& [what, request] : requests) {
    auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
    ASSERT_TRUE(connection->send_raw(request));
    PlainHttpResponse response = connection->read_response(5s);
    EXPECT_EQ(response.status, 400) << what << ": " << response.describe();
  }
}

}  // namespace
}  // namespace wsexec_test
