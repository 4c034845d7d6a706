// The browser client library (docs/fallback.md): every wsexec serves
// src/http/client.js at /.wsexec/client.js, byte for byte, with or without
// --staticdir or --devconsole, and revalidates it with its ETag.
#include <string>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

const std::string kScriptPath = "/.wsexec/client.js";

std::string source_script() {
  return read_file(WSEXEC_SOURCE_DIR "/src/http/client.js");
}

TEST(ClientScript, EveryServerServesTheScriptAsJavaScript) {
  TempDir www;
  www.write_file("index.html", "<p>hi</p>");
  for (const std::vector<std::string>& arguments : {std::vector<std::string>{"cat"},
                                                    {"--devconsole", "cat"},
                                                    {"--staticdir=" + www.path(), "cat"}}) {
    ServerProcess server(arguments);
    const PlainHttpResponse response = plain_get(server.port(), kScriptPath);
    ASSERT_EQ(response.status, 200) << response.describe();
    EXPECT_EQ(response.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response.header("Cache-Control"), "no-cache");
    // Compared whole but reported by size: the script is 16 KiB.
    EXPECT_TRUE(response.body == source_script())
        << "served " << response.body.size() << " bytes, src/http/client.js has "
        << source_script().size();
  }
}

TEST(ClientScript, AnEtagItWasGivenEarnsA304WithoutBody) {
  ServerProcess server({"cat"});
  const PlainHttpResponse first = plain_get(server.port(), kScriptPath);
  ASSERT_TRUE(first.header("ETag").has_value()) << first.describe();
  const PlainHttpResponse again = plain_get(
      server.port(), kScriptPath, {{"If-None-Match", "W/\"x\", " + *first.header("ETag")}});
  EXPECT_EQ(again.status, 304) << again.describe();
  EXPECT_TRUE(again.body.empty());
  const PlainHttpResponse stale =
      plain_get(server.port(), kScriptPath, {{"If-None-Match", "\"0000000000000000\""}});
  EXPECT_EQ(stale.status, 200) << stale.describe();
}

TEST(ClientScript, HeadGivesTheLengthAndPostIs405) {
  ServerProcess server({"cat"});
  PlainHttpRequest head;
  head.method = "HEAD";
  head.target = kScriptPath;
  auto connection = PlainHttpConnection::tcp("127.0.0.1", server.port());
  const PlainHttpResponse headers = connection->request(head);
  EXPECT_EQ(headers.status, 200) << headers.describe();
  EXPECT_EQ(headers.header("Content-Length"), std::to_string(source_script().size()));

  PlainHttpRequest post;
  post.method = "POST";
  post.target = kScriptPath;
  post.body = "x";
  const PlainHttpResponse refused = plain_http(server.port(), post);
  EXPECT_EQ(refused.status, 405) << refused.describe();
  EXPECT_EQ(refused.header("Allow"), "GET, HEAD");
}

}  // namespace
}  // namespace wsexec_test
