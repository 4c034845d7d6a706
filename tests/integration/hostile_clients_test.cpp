// Hostile clients (issue 12, item 6): crowds that never finish a request
// head, heads too large, garbage instead of HTTP, upgrades never read,
// hundreds of clients vanishing at once. Each test bounds every wait and
// checks what the server keeps afterwards (descriptors, children) and that
// an ordinary client is served meanwhile.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "hostile_common.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Waits out the 10 s head deadline (kRequestHeadTimeout): ~11 s. Half the
// crowd connects and never sends a byte (abandoned handshakes), half sends
// a never-ending header a byte at a time.
TEST(HostileClients, SlowHeaderCrowdIsDroppedAfterTheHeadTimeoutWhileOthersAreServed) {
  constexpr int kSilent = 150;
  constexpr int kDripping = 150;
  ServerProcess server({"cat"});
  auto ordinary = connect_to(server);
  ASSERT_TRUE(ordinary->send_text("warm up"));
  ASSERT_TRUE(IsText(ordinary->read(5s), "warm up"));
  const int idle_descriptors = open_descriptor_count(server.pid());

  const auto start = Clock::now();
  std::vector<std::unique_ptr<RawWsConnection>> crowd;
  for (int i = 0; i < kSilent + kDripping; ++i) {
    crowd.push_back(std::make_unique<RawWsConnection>(server.port()));
    if (i >= kSilent) {
      ASSERT_TRUE(crowd.back()->send("GET / HTTP/1.1\r\nX-Slow: "));
    }
  }
  std::vector<double> closed_at(crowd.size(), -1);
  int open = static_cast<int>(crowd.size());
  int served = 0;
  for (int round = 0; open > 0 && seconds_since(start) < 18; ++round) {
    for (std::size_t i = 0; i < crowd.size(); ++i) {
      if (closed_at[i] >= 0) continue;
      // One more byte of the never-ending header, about once a second.
      const bool dripping = i >= static_cast<std::size_t>(kSilent);
      const bool sent = !dripping || round % 2 != 0 || crowd[i]->send("a", 100ms);
      if (!sent || crowd[i]->wait_closed(0ms)) {
        closed_at[i] = seconds_since(start);
        --open;
      }
    }
    const std::string message = "served " + std::to_string(served);
    ASSERT_TRUE(ordinary->send_text(message));
    EXPECT_TRUE(IsText(ordinary->read(5s), message)) << "at " << seconds_since(start) << " s";
    ++served;
    std::this_thread::sleep_for(500ms);
  }
  EXPECT_EQ(open, 0) << "clients still connected after " << seconds_since(start) << " s";
  for (std::size_t i = 0; i < crowd.size(); ++i) {
    EXPECT_GE(closed_at[i], 8.0) << "client " << i << " was dropped too early";
    EXPECT_LE(closed_at[i], 16.0) << "client " << i << " was not dropped in time (-1: never)";
  }
  EXPECT_GT(served, 10);
  crowd.clear();
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors));
  EXPECT_TRUE(server.running());
}

TEST(HostileClients, OversizedHeadsGet431AndTheServerCarriesOn) {
  ServerProcess server({"cat"});
  const int idle_descriptors = open_descriptor_count(server.pid());
  const std::vector<std::pair<std::string, std::string>> heads = {
      {"one header of 256 KiB", "GET / HTTP/1.1\r\nX-Big: " + std::string(256 * 1024, 'a')},
      {"ten thousand small headers",
       [] {
         std::string head = "GET / HTTP/1.1\r\n";
         for (int i = 0; i < 10000; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
         return head;
       }()},
      {"an upgrade with a 64 KiB header",
       UpgradeRequest{}.set("X-Big", std::string(64 * 1024, 'c')).serialize()},
  };
  for (const auto& [what, head] : heads) {
    RawWsConnection connection(server.port());
    // The server may answer and close before all is sent; that is fine.
    connection.send(head, 3s);
    std::string response = connection.read_head(5s);
    EXPECT_EQ(http_status_of(response), 431) << what << ": '" << response << "'";
    EXPECT_TRUE(connection.wait_closed(5s)) << what;
  }
  // A 64 KiB request target: 431 or 414, but never served.
  RawWsConnection long_target(server.port());
  long_target.send("GET /" + std::string(64 * 1024, 'u') + " HTTP/1.1\r\n", 3s);
  const int status = http_status_of(long_target.read_head(5s));
  EXPECT_TRUE(status == 431 || status == 414) << status;
  EXPECT_TRUE(server.running());
  EXPECT_TRUE(serves_another_client(server));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors));
}

// Bytes that no HTTP parser can take for a request start.
std::string garbage(std::size_t size, std::uint32_t seed) {
  std::string bytes;
  std::uint32_t state = seed;
  for (std::size_t i = 0; i < size; ++i) {
    state = state * 1664525u + 1013904223u;  // a fixed LCG: reproducible garbage
    bytes.push_back(static_cast<char>(state >> 24));
  }
  bytes[0] = '\x16';  // never a token character, so never a method
  return bytes;
}

TEST(HostileClients, BinaryGarbageGets400OrACloseNeverACrash) {
  ServerProcess server({"cat"});
  const int idle_descriptors = open_descriptor_count(server.pid());
  const std::vector<std::string> payloads = {
      garbage(4096, 1), garbage(64 * 1024, 2), std::string(2048, '\0'),
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + garbage(500, 3),
      "GET / HTTP/1.1\r\nHost: x\r\n\x01\x02\x03\r\n\r\n"};
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    RawWsConnection connection(server.port());
    connection.send(payloads[i], 3s);
    std::string head = connection.read_head(5s);
    EXPECT_TRUE(head.empty() || http_status_of(head) == 400) << "payload " << i << ": " << head;
    EXPECT_TRUE(connection.wait_closed(5s)) << "payload " << i << " left the connection open";
    ASSERT_TRUE(server.running()) << "payload " << i << " ended the server\n"
                                  << server.diagnostics();
  }
  EXPECT_TRUE(serves_another_client(server));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors));
}

TEST(HostileClients, UpgradesWhose101IsNeverReadAreDroppedByPingsLeavingNothing) {
  constexpr int kAbandoned = 100;
  ServerProcess server({"--pingms=300", "cat"});
  const int idle_descriptors = open_descriptor_count(server.pid());
  std::vector<std::unique_ptr<RawWsConnection>> abandoned;
  for (int i = 0; i < kAbandoned; ++i) {
    abandoned.push_back(std::make_unique<RawWsConnection>(server.port()));
    ASSERT_TRUE(abandoned.back()->send(UpgradeRequest{}.serialize()));
  }
  // They never read, so they never answer a ping: after two intervals
  // unanswered they go, with their programs. (About 1 s here; the bounds
  // are for the instrumented server in CI, with compiles beside it, where
  // 100 sessions took over 6 s to end and a bound of 3 s more for their
  // descriptors failed twice in one run.)
  EXPECT_TRUE(children_all_gone(server, 15s));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 15s));
  EXPECT_TRUE(serves_another_client(server));
  // Proof that they had been upgraded, read only now from what waited.
  int upgraded = 0;
  for (auto& connection : abandoned) upgraded += http_status_of(connection->read_head(1s)) == 101;
  EXPECT_EQ(upgraded, kAbandoned);
}

TEST(HostileClients, MassDisconnectLeavesNoChildNorDescriptorBehind) {
  constexpr int kClients = 200;
  ServerProcess server({"cat"});
  const int idle_descriptors = open_descriptor_count(server.pid());
  std::vector<std::unique_ptr<RawWsConnection>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(RawWsConnection::upgraded(server.port()));
    ASSERT_TRUE(clients.back()->send_frame({.opcode = opcode::text, .payload = "hi"}));
  }
  for (auto& client : clients) ASSERT_EQ(client->read_data(2, 5s), "hi");
  ASSERT_EQ(children_of(server.pid()).size(), static_cast<std::size_t>(kClients));

  for (auto& client : clients) client->reset();
  EXPECT_TRUE(children_all_gone(server, 5s));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 5s));
  EXPECT_TRUE(serves_another_client(server));
}

}  // namespace
}  // namespace wsexec_test
