// --pty under a flood both ways (issue 14): a program that prints without
// end to a client that never reads, and a client that types without end to
// a program that never reads. The terminal holds both back as pipes do: the
// server's memory grows by a few MiB at most, and everything is given back.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "harness.hpp"
#include "hostile_common.hpp"
#include "raw_ws.hpp"
#include "terminal_common.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// As in hostile_floods_test: socket, pipe and terminal buffers live in the
// kernel, so this is only the server's own queues.
constexpr long kAllowedGrowthKib = 6 * 1024;

TEST(PtyFloods, BothWaysWithNobodyReadingKeepMemoryBoundedAndGiveEverythingBack) {
  TempDir dir;
  const std::string root = dir.file("endpoints");
  fs::create_directories(root);
  dir.write_script("endpoints/flood.sh", "exec yes this-line-floods-a-client-that-never-reads\n");
  dir.write_script("endpoints/echo.sh", "exec cat\n");
  ServerProcess server({"--pty", "--dir=" + root});
  const int idle_descriptors = open_descriptor_count(server.pid());
  {
    // Warm up: the first session's allocations are not the flood's.
    auto client = connect_to(server, "/echo.sh");
    ASSERT_TRUE(client->send_binary("warm\r"));
    ASSERT_NE(gather_until(*client, "warm\r\nwarm\r\n").find("warm\r\nwarm\r\n"),
              std::string::npos);
  }
  ASSERT_TRUE(children_all_gone(server));
  std::this_thread::sleep_for(300ms);
  const long before = resident_kib(server.pid());
  ASSERT_GT(before, 0) << "no RSS read for the server";

  auto flooder = std::make_unique<RawWsConnection>(server.port());
  UpgradeRequest request;
  request.target = "/flood.sh";
  ASSERT_EQ(http_status_of(flooder->request_upgrade(request)), 101);
  const std::string frame =
      encode_frame({.opcode = opcode::binary, .payload = std::string(64 * 1024, 'k')});
  std::size_t sent = 0;
  for (const auto end = Clock::now() + 3000ms; Clock::now() < end && flooder->send(frame, 200ms);) {
    sent += 64 * 1024;
  }
  EXPECT_GT(sent, 64u * 1024) << "the server never read the client at all";
  const long during = resident_kib(server.pid());
  ASSERT_GT(during, 0) << "the server is gone";
  RecordProperty("rss_before_kib", std::to_string(before));
  RecordProperty("rss_during_kib", std::to_string(during));
  RecordProperty("client_bytes_sent", std::to_string(sent));
  EXPECT_LT(during - before, kAllowedGrowthKib)
      << "RSS " << before << " KiB before, " << during << " KiB with " << sent
      << " bytes typed by the client";

  flooder->reset();
  EXPECT_TRUE(children_all_gone(server));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors));
}

}  // namespace
}  // namespace wsexec_test
