// The client's pipelined messages reach the child in batches
// (src/websocket/read_ahead.hpp, input_batch.hpp): whole, in order, the
// ignored type left out, and never held back behind a message that has
// not fully arrived.
#include <string>

#include "harness.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

std::string frames(std::uint8_t type, const std::string& prefix, int count, std::size_t size) {
  std::string bytes;
  for (int i = 0; i < count; ++i) {
    std::string payload = prefix + std::to_string(i) + ":";
    payload.resize(size, static_cast<char>('a' + i % 26));
    bytes += encode_frame({.opcode = type, .payload = payload});
  }
  return bytes;
}

std::string payloads(const std::string& prefix, int count, std::size_t size, bool newline) {
  std::string bytes;
  for (int i = 0; i < count; ++i) {
    std::string payload = prefix + std::to_string(i) + ":";
    payload.resize(size, static_cast<char>('a' + i % 26));
    bytes += payload;
    if (newline) bytes += "\n";
  }
  return bytes;
}

// 20 whole messages and the first bytes of a 21st arrive in one segment.
// The 20 must reach cat (and come back) while the 21st is still on its
// way: a batch waiting for it would hold them until the client sends more.
TEST(InputBatch, MessagesAreNotHeldBehindOneStillArriving) {
  ServerProcess server({"--binary", "cat"});
  auto client = RawWsConnection::upgraded(server.port());
  const std::string last =
      encode_frame({.opcode = opcode::binary, .payload = std::string(1000, 'z')});
  ASSERT_TRUE(client->send(frames(opcode::binary, "m", 20, 1024) + last.substr(0, 12)));
  EXPECT_EQ(client->read_data(20 * 1024, 3000ms), payloads("m", 20, 1024, false))
      << "the whole messages waited for the one behind them";
  ASSERT_TRUE(client->send(last.substr(12)));
  EXPECT_EQ(client->read_data(1000, 3000ms), std::string(1000, 'z'));
}

// Line mode: a batch of text messages, each with its "\n", and a binary
// message in the middle of it, which is ignored, not passed on.
TEST(InputBatch, LineModeBatchKeepsEveryLineAndLeavesOutTheOtherType) {
  ServerProcess server({"cat"});
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(client->send(frames(opcode::text, "before", 30, 200) +
                           frames(opcode::binary, "ignored", 3, 300) +
                           frames(opcode::text, "after", 30, 200)));
  std::string lines;
  for (int i = 0; i < 60; ++i) {
    ReadResult got = client->read_frame(3000ms);
    ASSERT_EQ(got.end, ReadEnd::frame) << "after " << i << " lines";
    ASSERT_EQ(got.frame.opcode, opcode::text) << describe(got.frame);
    lines += got.frame.payload + "\n";
  }
  EXPECT_EQ(lines, payloads("before", 30, 200, true) + payloads("after", 30, 200, true));
}

// Binary mode: 256 KiB in 1 KiB messages, sent in one go (within what
// the sockets buffer, so the client need not read while it sends), comes
// back whole and in order, however the batches fell.
TEST(InputBatch, ManySmallBinaryMessagesArriveWholeAndInOrder) {
  ServerProcess server({"--binary", "cat"});
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(client->send(frames(opcode::binary, "n", 256, 1024), 10000ms));
  EXPECT_EQ(client->read_data(256 * 1024, 10000ms), payloads("n", 256, 1024, false));
}

}  // namespace
}  // namespace wsexec_test
