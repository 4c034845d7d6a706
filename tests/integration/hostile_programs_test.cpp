// Hostile programs (issue 12, item 6): children that ignore SIGTERM and
// SIGINT must not keep the server (or themselves) alive past its stop
// deadline, and a storm of clients whose program cannot be executed must
// leave the server up, without a leaked descriptor or child.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <signal.h>

#include "harness.hpp"
#include "hostile_common.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

TEST(HostilePrograms, SigtermEndsServerAndChildrenThatIgnoreTermAndInt) {
  constexpr int kClients = 3;
  TempDir dir;
  const std::string pids = dir.file("pids");
  // The script and its background sleep both ignore TERM and INT (an
  // ignored signal stays ignored across fork and exec).
  const std::string script =
      dir.write_script("stubborn.sh", "trap '' TERM INT\necho $$ >> '" + pids +
                                          "'\nsleep 1000 &\necho $! >> '" + pids + "'\nwait\n");
  ServerProcess server({script});
  std::vector<std::unique_ptr<RawWsConnection>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(RawWsConnection::upgraded(server.port()));
  std::vector<std::string> recorded;
  ASSERT_TRUE(wait_until(
      [&] { return (recorded = split_words(read_file(pids))).size() == 2 * kClients; }, 5s))
      << read_file(pids);
  PidCleanup cleanup;
  for (const std::string& word : recorded) cleanup.add(parse_pid(word));

  server.send_signal(SIGTERM);
  // The ladder reaches SIGKILL after 0.85 s and the server's stop deadline
  // is 2.5 s (limits.hpp); the rest is for the instrumented server's exit
  // (LeakSanitizer's scan) in CI's ASan share, with compiles beside it,
  // where 3.5 s was missed twice in one run. About 1.2 s here.
  std::optional<ExitStatus> status = server.wait_exit(10s);
  EXPECT_TRUE(status.has_value()) << "the server did not exit within 10 s of SIGTERM";
  for (const std::string& word : recorded) {
    const pid_t pid = parse_pid(word);
    EXPECT_TRUE(wait_until([&] { return !process_running(pid); }, 1s))
        << "pid " << pid << " (" << process_name(pid) << ") survived the server";
  }
}

// Each of many clients at once gets a refusal (an HTTP error) or an
// upgrade and then close 1011; nobody hangs.
void expect_storm_refused(const ServerProcess& server, const std::string& target, int clients) {
  std::vector<std::unique_ptr<RawWsConnection>> storm;
  UpgradeRequest request;
  request.target = target;
  for (int i = 0; i < clients; ++i) {
    storm.push_back(std::make_unique<RawWsConnection>(server.port()));
    ASSERT_TRUE(storm.back()->send(request.serialize()));
  }
  int refused = 0;
  int closed_1011 = 0;
  for (auto& connection : storm) {
    const int status = http_status_of(connection->read_head(5s));
    if (status >= 400) {
      ++refused;
    } else if (status == 101) {
      CloseOutcome outcome = connection->read_until_close(5s);
      closed_1011 += outcome.close_frame && outcome.code == 1011;
    }
  }
  testing::Test::RecordProperty("refused", std::to_string(refused));
  testing::Test::RecordProperty("closed_1011", std::to_string(closed_1011));
  EXPECT_EQ(refused + closed_1011, clients)
      << target << ": " << refused << " refused, " << closed_1011 << " closed with 1011";
}

TEST(HostilePrograms, StormOnANonExecutableFileUnderDirLeavesTheServerWhole) {
  TempDir dir;
  const std::string root = dir.file("endpoints");
  fs::create_directories(root);
  dir.write_file("endpoints/noexec.sh", "#!/bin/bash\necho never\n", 0644);
  dir.write_script("endpoints/echo.sh", "exec cat\n");
  ServerProcess server({"--dir=" + root});
  const int idle_descriptors = open_descriptor_count(server.pid());
  expect_storm_refused(server, "/noexec.sh", 100);
  EXPECT_TRUE(server.running());
  EXPECT_TRUE(children_all_gone(server));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors));
  EXPECT_TRUE(serves_another_client(server, "/echo.sh"));
}

TEST(HostilePrograms, StormOnACommandDeletedAfterStartUpLeavesTheServerWhole) {
  TempDir dir;
  const std::string program = dir.write_script("vanishing.sh", "exec cat\n");
  ServerProcess server({program});
  const int idle_descriptors = open_descriptor_count(server.pid());
  ASSERT_TRUE(fs::remove(program));
  expect_storm_refused(server, "/", 100);
  EXPECT_TRUE(server.running()) << server.diagnostics();
  EXPECT_TRUE(children_all_gone(server));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors));
}

}  // namespace
}  // namespace wsexec_test
