// A client that leaves while it is being pushed back (issue 12, item 5): the
// program does not read its stdin, so once the stdin queue and the pipe are
// full the server stops reading the client. A reset then arrives on a socket
// nobody reads from; the server must still notice it and end the program,
// instead of keeping it, its pipes, the socket and a --maxforks slot until
// the program exits on its own.
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "hostile_common.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

class PushedBackReset : public testing::TestWithParam<bool> {
 protected:
  // A server whose program is busy and never reads its stdin, which fills
  // up and stays full; the descriptors it holds idle; an upgraded client
  // once the program runs.
  void SetUp() override {
    std::vector<std::string> args;
    if (binary()) args.push_back("--binary");
    args.insert(args.end(), {"sh", "-c", "exec sleep 600"});
    server_.emplace(args);
    idle_descriptors_ = open_descriptor_count(server_->pid());
    client_ = RawWsConnection::upgraded(server_->port());
    ASSERT_TRUE(wait_until([&] { return children_of(server_->pid()).size() == 1; }, 5s, 20ms));
  }

  bool binary() const { return GetParam(); }

  // Frames of `payload_bytes` until the socket takes no more (the server
  // has stopped reading and the kernel's buffers are full); at least 16.
  void send_until_the_server_stops_reading(std::size_t payload_bytes) {
    const OutFrame frame{.opcode = binary() ? opcode::binary : opcode::text,
                         .payload = std::string(payload_bytes, 'x')};
    int sent = 0;
    while (sent < 512 && client_->send_frame(frame, 500ms)) ++sent;
    ASSERT_GE(sent, 16);
    ASSERT_LT(sent, 512) << "the server never stopped reading";
  }

  // The program ended and reaped, the server's descriptors back to idle.
  void expect_everything_given_back(Millis within) {
    EXPECT_TRUE(children_all_gone(*server_, within));
    EXPECT_TRUE(descriptors_return_to(*server_, idle_descriptors_, within));
  }

  std::optional<ServerProcess> server_;
  int idle_descriptors_ = 0;
  std::unique_ptr<RawWsConnection> client_;
};

TEST_P(PushedBackReset, AResetWhileReadsArePausedEndsTheProgram) {
  // More than the stdin queue (64 KiB) and the pipe (64 KiB) hold, so the
  // server stops reading; what the kernel buffers takes the rest.
  ASSERT_NO_FATAL_FAILURE(send_until_the_server_stops_reading(16 * 1024));
  client_->reset();
  // The ladder takes about 1.9 s at most; without the watch, nothing would
  // happen until `sleep 600` ends.
  expect_everything_given_back(6s);
}

// The same client leaving with a close() instead of a reset, while its own
// send buffer is still full: its FIN waits behind data the server does not
// take and never arrives. The session's ping, which a closed socket answers
// with a reset, finds it gone.
TEST_P(PushedBackReset, AClientClosingNormallyWhileReadsArePausedEndsTheProgram) {
  ASSERT_NO_FATAL_FAILURE(send_until_the_server_stops_reading(16 * 1024));
  client_.reset();  // close(): a FIN, nothing unread on our side
  // The probe's second and its reset, then the ladder's 1.9 s at most.
  expect_everything_given_back(8s);
}

// A client that sends just enough to pause reads (the stdin queue and the
// pipe, 128 KiB, then a little the kernel keeps) and then closes: its FIN
// arrives, but only makes the socket readable behind the unread messages.
// The ping finds it gone too.
TEST_P(PushedBackReset, AClientWhoseFinArrivesWhileReadsArePausedEndsTheProgram) {
  const OutFrame frame{.opcode = binary() ? opcode::binary : opcode::text,
                       .payload = std::string(60000, 'x')};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client_->send_frame(frame, 2s));
  std::this_thread::sleep_for(200ms);  // all of it taken: only the server's socket holds the rest
  client_.reset();                     // close(): a FIN that arrives
  expect_everything_given_back(8s);
}

// A client that stays, paused, is pinged after a second, then at doubling
// waits (paused_client_probe.hpp): three pings in the first eight seconds
// (at about 1, 3 and 7 s), each wait longer than the one before, not one
// a second.
TEST_P(PushedBackReset, AClientThatStaysPausedIsPingedAtGrowingWaits) {
  ASSERT_NO_FATAL_FAILURE(send_until_the_server_stops_reading(16 * 1024));
  const auto paused = std::chrono::steady_clock::now();
  std::vector<std::chrono::steady_clock::duration> pings;
  while (std::chrono::steady_clock::now() - paused < 8s) {
    ReadResult read = client_->read_frame(500ms);
    ASSERT_NE(read.end, ReadEnd::connection_closed);
    if (read.end == ReadEnd::frame && read.frame.opcode == opcode::ping) {
      pings.push_back(std::chrono::steady_clock::now() - paused);
    }
  }
  ASSERT_EQ(pings.size(), 3u);
  EXPECT_GT(pings[2] - pings[1], pings[1] - pings[0]);
  EXPECT_GE(pings[1] - pings[0], 1500ms);
  EXPECT_EQ(children_of(server_->pid()).size(), 1u) << "a client that stays is not let go";
}

INSTANTIATE_TEST_SUITE_P(Modes, PushedBackReset, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "BinaryMode" : "LineMode";
                         });

// With --pingms, Beast closes the socket of a client that answers no
// ping, which ends the paused socket's watch without a word; the paused
// client's next ping then fails, and that failure ends the session.
TEST(PushedBackPing, AClientThatAnswersNoPingWhilePausedIsLetGoWithPingms) {
  ServerProcess server({"--pingms=500", "sh", "-c", "exec sleep 600"});
  const int idle_descriptors = open_descriptor_count(server.pid());
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).size() == 1; }, 5s, 20ms));
  const OutFrame frame{.opcode = opcode::text, .payload = std::string(16 * 1024, 'x')};
  int sent = 0;
  while (sent < 512 && client->send_frame(frame, 500ms)) ++sent;
  ASSERT_LT(sent, 512) << "the server never stopped reading";
  // The client stays, reads nothing and answers nothing.
  EXPECT_TRUE(children_all_gone(server, 8s));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 8s));
}

// A client of a shared program is paused the same way once its input
// waiting for the program passes its share: a shared program that reads
// nothing. It is probed as a single program's client is: one that stays is
// pinged (and kept), and one that closes while its FIN waits behind its
// unread messages is found gone by the reset that answers the ping, and
// its connection is let go (the program stays, for its other clients).
class PushedBackShared : public testing::Test {
 protected:
  void SetUp() override {
    server_.emplace(std::vector<std::string>{"--shared", "sh", "-c", "exec sleep 600"});
    client_ = RawWsConnection::upgraded(server_->port());
    ASSERT_TRUE(wait_until([&] { return children_of(server_->pid()).size() == 1; }, 5s, 20ms));
    const OutFrame frame{.opcode = opcode::text, .payload = std::string(16 * 1024, 'x')};
    int sent = 0;
    while (sent < 512 && client_->send_frame(frame, 500ms)) ++sent;
    ASSERT_LT(sent, 512) << "the server never stopped reading";
    with_client_ = open_descriptor_count(server_->pid());
  }

  std::optional<ServerProcess> server_;
  std::unique_ptr<RawWsConnection> client_;
  int with_client_ = 0;
};

TEST_F(PushedBackShared, AClientThatStaysPausedIsPingedAndKept) {
  const auto paused = std::chrono::steady_clock::now();
  int pings = 0;
  while (std::chrono::steady_clock::now() - paused < 4s) {
    ReadResult read = client_->read_frame(500ms);
    ASSERT_NE(read.end, ReadEnd::connection_closed);
    if (read.end == ReadEnd::frame && read.frame.opcode == opcode::ping) ++pings;
  }
  EXPECT_EQ(pings, 2) << "pinged at about 1 and 3 s";
  EXPECT_EQ(open_descriptor_count(server_->pid()), with_client_) << "a client that stays is kept";
}

TEST_F(PushedBackShared, AClientClosingWhilePausedIsLetGo) {
  client_.reset();  // close(): a FIN stuck behind what the server has not read
  EXPECT_TRUE(descriptors_return_to(*server_, with_client_ - 1, 8s));
  EXPECT_EQ(children_of(server_->pid()).size(), 1u) << "the shared program ended with its client";
}

}  // namespace
}  // namespace wsexec_test
