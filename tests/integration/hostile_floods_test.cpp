// Floods (issue 12, item 6): data both ways between a program and a client
// that never read, thousands of pings, and fragment bombs. What must hold:
// back-pressure instead of buffering (the server's resident memory grows by
// a few MiB at most), an ordinary client still served, limits enforced on
// the whole message however it is cut.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "harness.hpp"
#include "hostile_common.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// What a flood may add to the server's resident memory: socket and pipe
// buffers live in the kernel, so this is only the server's own queues.
constexpr long kAllowedGrowthKib = 6 * 1024;

// The server's RSS once it has served one connection (so the first-use
// allocations of the event loop and the allocator are already counted).
long warmed_up_rss(const ServerProcess& server, const std::string& echo_target) {
  EXPECT_TRUE(serves_another_client(server, echo_target));
  std::this_thread::sleep_for(300ms);
  const long rss = resident_kib(server.pid());
  EXPECT_GT(rss, 0) << "no RSS read for the server";
  return rss;
}

// Sends whole frames for `duration`, as many as the server takes; returns
// the payload bytes sent. A frame that cannot be sent in time ends it.
std::size_t flood_for(RawWsConnection& connection, const OutFrame& frame, Millis duration) {
  const std::string bytes = encode_frame(frame);
  const auto end = Clock::now() + duration;
  std::size_t sent = 0;
  while (Clock::now() < end && connection.send(bytes, 200ms)) sent += frame.payload.size();
  return sent;
}

TEST(HostileFloods, BothWaysWithNobodyReadingKeepMemoryBoundedAndOthersServed) {
  TempDir dir;
  const std::string root = dir.file("endpoints");
  fs::create_directories(root);
  // Never reads its stdin, writes as fast as it can.
  dir.write_script("endpoints/flood.sh", "exec yes this-line-floods-a-client-that-never-reads\n");
  dir.write_script("endpoints/echo.sh", "exec cat\n");
  ServerProcess server({"--dir=" + root});
  const int idle_descriptors = open_descriptor_count(server.pid());
  const long before = warmed_up_rss(server, "/echo.sh");

  auto flooder = std::make_unique<RawWsConnection>(server.port());
  UpgradeRequest request;
  request.target = "/flood.sh";
  ASSERT_EQ(http_status_of(flooder->request_upgrade(request)), 101);
  const std::size_t sent =
      flood_for(*flooder, {.opcode = opcode::text, .payload = std::string(64 * 1024, 'f')}, 3000ms);
  EXPECT_GT(sent, 64u * 1024) << "the server never read the client at all";

  const long during = resident_kib(server.pid());
  ASSERT_GT(during, 0) << "the server is gone";
  EXPECT_LT(during - before, kAllowedGrowthKib)
      << "RSS " << before << " KiB before, " << during << " KiB with " << sent
      << " bytes sent by the client";
  std::vector<ChildProcess> children = children_of(server.pid());
  ASSERT_EQ(children.size(), 1u);
  // Once the client's receive buffer is full, the program must wait too.
  EXPECT_TRUE(wait_until([&] { return blocked_writing_to_pipe(children[0].pid); }, 5s))
      << "the program is not held back";
  const long held_back = resident_kib(server.pid());
  ASSERT_GT(held_back, 0) << "the server is gone";
  RecordProperty("rss_before_kib", std::to_string(before));
  RecordProperty("rss_held_back_kib", std::to_string(held_back));
  RecordProperty("client_bytes_sent", std::to_string(sent));
  EXPECT_LT(held_back - before, kAllowedGrowthKib)
      << "RSS " << before << " KiB before, " << held_back << " KiB once the program is held back";
  EXPECT_TRUE(serves_another_client(server, "/echo.sh"));

  flooder->reset();
  EXPECT_TRUE(children_all_gone(server));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors));
}

TEST(HostileFloods, PingFloodFromAClientThatNeverReadsKeepsMemoryBounded) {
  ServerProcess server({"cat"});
  const long before = warmed_up_rss(server, "/");
  auto flooder = RawWsConnection::upgraded(server.port());
  const std::size_t sent =
      flood_for(*flooder, {.opcode = opcode::ping, .payload = std::string(125, 'p')}, 3000ms);
  EXPECT_GT(sent / 125, 1000u) << "fewer than a thousand pings were taken";
  const long during = resident_kib(server.pid());
  ASSERT_GT(during, 0) << "the server is gone";
  RecordProperty("rss_before_kib", std::to_string(before));
  RecordProperty("rss_after_kib", std::to_string(during));
  RecordProperty("pings_sent", std::to_string(sent / 125));
  EXPECT_LT(during - before, kAllowedGrowthKib)
      << "RSS " << before << " KiB before, " << during << " KiB after " << sent / 125 << " pings";
  EXPECT_TRUE(serves_another_client(server));
}

TEST(HostileFloods, ThousandsOfPingsAreEachAnsweredAndTheConnectionStaysUsable) {
  constexpr int kPings = 5000;
  ServerProcess server({"cat"});
  auto client = RawWsConnection::upgraded(server.port());
  std::string pings;
  for (int i = 0; i < kPings; ++i) {
    pings += encode_frame({.opcode = opcode::ping, .payload = "ping " + std::to_string(i)});
  }
  // Sent from another thread while this one reads the pongs: the server
  // stops reading while its pongs are not taken, so one side alone would stall.
  std::atomic<bool> all_sent{false};
  std::thread sender([&] { all_sent = client->send(pings, 10s); });
  int pongs = 0;
  int in_order = 0;
  const auto deadline = Clock::now() + 15s;
  while (pongs < kPings && Clock::now() < deadline) {
    ReadResult read = client->read_frame(5s);
    if (read.end != ReadEnd::frame) break;
    if (read.frame.opcode != opcode::pong) continue;
    in_order += read.frame.payload == "ping " + std::to_string(pongs);
    ++pongs;
  }
  sender.join();
  EXPECT_TRUE(all_sent);
  EXPECT_EQ(pongs, kPings);
  EXPECT_EQ(in_order, kPings);
  ASSERT_TRUE(client->send_frame({.opcode = opcode::text, .payload = "after the flood"}));
  EXPECT_EQ(client->read_data(15, 5s), "after the flood");
  EXPECT_TRUE(serves_another_client(server));
}

TEST(HostileFloods, FragmentBombOverMaxframesizeIs1009) {
  ServerProcess server({"--maxframesize=10000", "cat"});
  auto bomber = RawWsConnection::upgraded(server.port());
  // 20000 one-byte fragments of one message: every frame is tiny, the
  // message is twice the limit.
  std::string bomb = encode_frame({.opcode = opcode::text, .payload = "b", .fin = false});
  const std::string fragment =
      encode_frame({.opcode = opcode::continuation, .payload = "b", .fin = false});
  for (int i = 0; i < 20000; ++i) bomb += fragment;
  // Sending may fail part-way once the server has closed: that is its answer.
  bomber->send(bomb, 5s);
  CloseOutcome outcome = bomber->read_until_close(5s);
  EXPECT_TRUE(outcome.close_frame && outcome.code == 1009) << outcome.describe();
  EXPECT_TRUE(children_all_gone(server));
  EXPECT_TRUE(serves_another_client(server));
}

}  // namespace
}  // namespace wsexec_test
