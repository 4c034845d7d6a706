// --origin and --sameorigin: refused upgrades answer 403 (docs/compatibility.md,
// "Upgrade checks").
#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

int upgrade_status(const ServerProcess& server, const std::string& origin) {
  ConnectOptions options = client_options(server);
  options.headers = {{"Origin", origin}};
  HandshakeResult result = WsClient::handshake(options);
  return result.http_status;
}

TEST(Origin, OriginListRefusesOtherOriginsWith403) {
  ServerProcess server({"--origin=good.example", "cat"});
  EXPECT_EQ(upgrade_status(server, "http://evil.example"), 403);
  EXPECT_EQ(upgrade_status(server, "http://good.example.evil.example"), 403);
  // No port in the list: any port; no scheme: http and https.
  EXPECT_EQ(upgrade_status(server, "http://good.example:1234"), 101);
  EXPECT_EQ(upgrade_status(server, "http://good.example"), 101);
  EXPECT_EQ(upgrade_status(server, "https://good.example"), 101);
}

TEST(Origin, OriginListWithAPortRequiresThatPort) {
  ServerProcess server({"--origin=good.example:8000,other.example", "cat"});
  EXPECT_EQ(upgrade_status(server, "http://good.example:8000"), 101);
  EXPECT_EQ(upgrade_status(server, "http://good.example:9000"), 403);
  EXPECT_EQ(upgrade_status(server, "http://other.example:9000"), 101);
}

TEST(Origin, RefusedUpgradeStartsNoChild) {
  TempDir dir;
  std::string started = dir.file("started");
  std::string script = dir.write_script("mark.sh", "echo started >> '" + started + "'\nexec cat\n");
  ServerProcess server({"--origin=good.example", script});
  EXPECT_EQ(upgrade_status(server, "http://evil.example"), 403);
  ConnectOptions options = client_options(server);
  options.headers = {{"Origin", "http://good.example"}};
  auto client = WsClient::connect(options);
  ASSERT_TRUE(client->send_text("ping"));
  ASSERT_TRUE(IsText(client->read(5s), "ping"));  // its child has written its line
  EXPECT_EQ(read_file(started), "started\n") << "the refused upgrade started a child";
}

TEST(Origin, SameoriginRefusesAForeignOriginWith403) {
  ServerProcess server({"--sameorigin", "cat"});
  const std::string own = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(upgrade_status(server, "http://evil.example"), 403);
  EXPECT_EQ(upgrade_status(server, own), 101);
}

}  // namespace
}  // namespace wsexec_test
