// A long, busy connection: what the server holds for it must not grow with
// the traffic it has carried. (Floods from clients that never read are in
// hostile_floods_test.cpp; this is a well-behaved client that reads all.)
//
// A family of its own, outside the sanitizer share (.ci/sanitizers): the
// measure is the server's resident memory, which AddressSanitizer's
// quarantine blurs by a MiB.
#include <chrono>
#include <string>

#include "harness.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMessageBytes = 64 * 1024;
constexpr int kInFlight = 4;  // messages sent before their echoes are read

// Echoes 64 KiB binary messages through the program for `duration`, four in
// flight; returns how many came back, or -1 if an echo was missing.
long echo_for(RawWsConnection& client, Clock::duration duration) {
  const std::string frame =
      encode_frame({.opcode = opcode::binary, .payload = std::string(kMessageBytes, 'm')});
  const auto end = Clock::now() + duration;
  long echoed = 0;
  while (Clock::now() < end) {
    for (int i = 0; i < kInFlight; ++i) {
      if (!client.send(frame)) return -1;
    }
    if (client.read_data(kInFlight * kMessageBytes).size() < kInFlight * kMessageBytes) return -1;
    echoed += kInFlight;
  }
  return echoed;
}

// Each 64 KiB message fills the program's stdin queue (its high-water mark),
// so the server stops reading the client after every one, and watches the
// socket for a reset meanwhile. Each pause used to leave that watch behind
// for the connection's life: the server grew by 1.5 MB a second under this
// stream, until the client left.
TEST(LongStream, ReadsPausedOnEveryMessageLeaveNothingBehind) {
  ServerProcess server({"--binary", "cat"});
  auto client = RawWsConnection::upgraded(server.port());
  // The first messages bring the buffers and the allocator's arenas in.
  ASSERT_GT(echo_for(*client, 500ms), 0);
  const long before = resident_kib(server.pid());
  const long echoed = echo_for(*client, 3s);
  const long after = resident_kib(server.pid());
  ASSERT_GT(before, 0) << "no RSS read for the server";
  ASSERT_GT(after, 0) << "the server is gone";
  ASSERT_GT(echoed, 0) << "an echo went missing";
  RecordProperty("messages_echoed", std::to_string(echoed));
  RecordProperty("rss_growth_kib", std::to_string(after - before));
  EXPECT_GT(echoed, 1000) << "too few messages to tell a leak from noise";
  EXPECT_LT(after - before, 512) << "RSS " << before << " KiB before, " << after << " KiB after "
                                 << echoed << " messages of 64 KiB";
}

}  // namespace
}  // namespace wsexec_test
