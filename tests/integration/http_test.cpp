// Plain HTTP requests (docs/compatibility.md, "Plain HTTP"): without --staticdir,
// --cgidir or --devconsole, a GET that is not an upgrade answers 404.
#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

TEST(Http, PlainGetAnswers404AndIsLoggedWithItsPath) {
  ServerProcess server({"cat"});
  RawConnection http("127.0.0.1", server.port());
  ASSERT_TRUE(http.send_all("GET /no/such/page?x=1 HTTP/1.1\r\nHost: 127.0.0.1:" +
                            std::to_string(server.port()) + "\r\nConnection: close\r\n\r\n"));
  std::string response = http.read_until("\r\n\r\n", 5s);
  EXPECT_EQ(http_status_of(response), 404) << response;
  auto line = server.wait_for_log_line({"| ACCESS |", "/no/such/page"});
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Http, UpgradeOnAnyPathReachesTheCommand) {
  // With one command (no --dir), every path is the endpoint.
  ServerProcess server({"cat"});
  auto client = connect_to(server, "/any/path/at/all");
  ASSERT_TRUE(client->send_text("still cat"));
  EXPECT_TRUE(IsText(client->read(5s), "still cat"));
}

TEST(Http, CustomHeadersGoToTheResponsesTheyAreFor) {
  ServerProcess server({"--header=X-All: everywhere", "--header-ws=X-Ws: upgrades only",
                        "--header-http=X-Http: plain only", "cat"});
  HandshakeResult upgrade = WsClient::handshake(client_options(server));
  ASSERT_EQ(upgrade.http_status, 101) << upgrade.error;
  EXPECT_EQ(upgrade.header("X-All"), "everywhere");
  EXPECT_EQ(upgrade.header("X-Ws"), "upgrades only");
  EXPECT_FALSE(upgrade.has_header("X-Http"));

  RawConnection http("127.0.0.1", server.port());
  ASSERT_TRUE(http.send_all("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
  std::string response = http.read_until("\r\n\r\n", 5s);
  ASSERT_EQ(http_status_of(response), 404) << response;
  EXPECT_EQ(http_header(response, "X-All"), "everywhere") << response;
  EXPECT_EQ(http_header(response, "X-Http"), "plain only") << response;
  EXPECT_FALSE(http_header(response, "X-Ws").has_value()) << response;
}

}  // namespace
}  // namespace wsexec_test
