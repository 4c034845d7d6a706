// A client that ends its side and then reads nothing, while our output to
// it is stuck (the program printed more than the socket's buffers hold):
// the session is ending, but its last write can never finish. The server
// must let it go once that write has taken nothing for
// limits::kEndingWriteStall (5 s, checked each second), so the killed
// program is reaped and its descriptors and --maxforks slot come back,
// instead of keeping them for as long as the client stays connected. A
// client that keeps reading, however slowly, must still get everything.
#include <chrono>
#include <string>
#include <thread>

#include "harness.hpp"
#include "hostile_common.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

// Prints 1,000-byte lines until it is killed (SIGINT ends it).
std::vector<std::string> flooding_program() {
  return {"sh", "-c", "while :; do printf '%01000d\\n' 7; done"};
}

// Sends nothing, reads nothing: after this the server's writes to it are
// stuck (the flood fills the socket's buffers within it).
std::unique_ptr<RawWsConnection> connect_and_let_the_output_stick(const ServerProcess& server) {
  auto client = RawWsConnection::upgraded(server.port());
  std::this_thread::sleep_for(1500ms);
  return client;
}

TEST(EndingStall, AClientThatSendsItsCloseAndReadsNothingIsLetGo) {
  ServerProcess server(flooding_program());
  const int idle_descriptors = open_descriptor_count(server.pid());
  auto client = connect_and_let_the_output_stick(server);
  ASSERT_EQ(children_of(server.pid()).size(), 1u);
  ASSERT_TRUE(client->send_frame({.opcode = opcode::close, .payload = close_payload(1000)}));
  const auto closed_at = Clock::now();

  // The ladder ends the program within 0.1 s (SIGINT); the stuck write
  // holds its reap until the stall closes the socket: 5 to 6 s.
  EXPECT_TRUE(children_all_gone(server, 10s));
  EXPECT_GE(Clock::now() - closed_at, 4s) << "let go before its write had stalled for long";
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 2s));
  EXPECT_TRUE(server.wait_for_log_line({"client took none of our output"}, 1s));
}

TEST(EndingStall, AClientThatHalfClosesAndReadsNothingIsLetGo) {
  ServerProcess server(flooding_program());
  const int idle_descriptors = open_descriptor_count(server.pid());
  auto client = connect_and_let_the_output_stick(server);
  ASSERT_EQ(children_of(server.pid()).size(), 1u);
  client->shutdown_write();  // a FIN, no close frame; nothing read

  EXPECT_TRUE(children_all_gone(server, 10s));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 2s));
}

// The same close, but the client goes on reading, a MiB every 3 s, slower
// than the server writes but never stopping for as long as the stall: it
// gets all that was on its way (the socket's buffers, a few MiB), then the
// reply to its close, and only then does the connection end.
TEST(EndingStall, AClientThatReadsSlowlyAfterItsCloseGetsEverything) {
  ServerProcess server(flooding_program());
  auto client = connect_and_let_the_output_stick(server);
  ASSERT_TRUE(client->send_frame({.opcode = opcode::close, .payload = close_payload(1000)}));

  const auto started = Clock::now();
  std::size_t received = 0;
  int pauses = 0;
  std::optional<InFrame> close_reply;
  while (!close_reply && Clock::now() - started < 40s) {
    std::size_t this_turn = 0;
    while (this_turn < 1024 * 1024) {
      ReadResult read = client->read_frame(5s);
      ASSERT_EQ(read.end, ReadEnd::frame) << "after " << received << " bytes, " << pauses
                                          << " pauses: the connection ended or went silent";
      if (read.frame.opcode == opcode::close) {
        close_reply = read.frame;
        break;
      }
      ASSERT_EQ(read.frame.payload, std::string(999, '0') + "7");
      this_turn += read.frame.payload.size();
    }
    received += this_turn;
    if (close_reply) break;
    std::this_thread::sleep_for(3s);
    ++pauses;
  }
  ASSERT_TRUE(close_reply.has_value()) << received << " bytes in 40 s and no close";
  EXPECT_EQ(close_reply->close_code(), 1000);
  // Long enough after the close that a limit on the whole end, rather than
  // on a stall, would have cut it off.
  EXPECT_GE(pauses, 2) << "the output ran out too soon to show anything (" << received << " bytes)";
  EXPECT_TRUE(client->wait_closed(5s));
  EXPECT_EQ(server.log().find("client took none of our output"), std::string::npos);
}

// One client of a shared program: the program has printed more than that
// client took and then prints nothing more, so no --sendqueue overflow
// will ever drop the client; its close reply is stuck behind the output.
TEST(EndingStall, ASharedProgramsClientThatClosesAndReadsNothingIsLetGo) {
  ServerProcess server({"--shared", "--sendqueue=67108864", "sh", "-c",
                        "i=0; while [ $i -lt 8000 ]; do printf '%01000d\\n' 7; i=$((i+1)); done; "
                        "exec sleep 600"});
  auto client = RawWsConnection::upgraded(server.port());
  // The program runs (it is the server's child) and has printed its 8 MB.
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).size() == 1; }, 5s, 20ms));
  std::this_thread::sleep_for(2s);
  const int with_client = open_descriptor_count(server.pid());
  ASSERT_TRUE(client->send_frame({.opcode = opcode::close, .payload = close_payload(1000)}));

  // The client's socket goes; the shared program stays (--sharedidlems).
  EXPECT_TRUE(descriptors_return_to(server, with_client - 1, 10s));
  EXPECT_TRUE(server.wait_for_log_line({"client took none of our output"}, 1s));
}

// Upgrades, sends a close frame and reads the reply 1000: the closing
// handshake is over, and the client has not ended TCP. Null, with a
// failure recorded, if a step went wrong.
std::unique_ptr<RawWsConnection> after_the_closing_handshake(const ServerProcess& server) {
  auto client = RawWsConnection::upgraded(server.port());
  if (!wait_until([&] { return children_of(server.pid()).size() == 1; }, 5s, 20ms)) {
    ADD_FAILURE() << "the program did not start";
    return nullptr;
  }
  if (!client->send_frame({.opcode = opcode::close, .payload = close_payload(1000)})) {
    ADD_FAILURE() << "the close frame could not be sent";
    return nullptr;
  }
  ReadResult reply = client->read_frame(5s);
  if (reply.end != ReadEnd::frame || reply.frame.opcode != opcode::close ||
      reply.frame.close_code() != 1000) {
    ADD_FAILURE() << "no close reply 1000";
    return nullptr;
  }
  return client;
}

// After the closing handshake the server half-closes its side and waits
// for the client to end TCP. A client that reads our close reply and then
// keeps its end open must not keep its session: the worker's sweep
// (limits::kTeardownSweepPeriod, 1 s) ends that wait after one to two
// periods, and the program, which ended at its stdin's EOF, is reaped.
TEST(EndingStall, AClientThatKeepsTcpOpenAfterTheClosingHandshakeIsLetGo) {
  ServerProcess server({"cat"});
  const int idle_descriptors = open_descriptor_count(server.pid());
  auto client = after_the_closing_handshake(server);
  ASSERT_TRUE(client);
  const auto replied_at = Clock::now();

  // The client stays connected and silent throughout.
  EXPECT_TRUE(children_all_gone(server, 8s)) << "the exited program is still unreaped";
  EXPECT_LT(Clock::now() - replied_at, 4s) << "the wait for the client's end outlasted two periods";
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 2s));
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT"}, 2s).has_value());
}

// A client that ends TCP at once after the handshake, as real ones do, is
// not kept waiting for the sweep: its session ends well within a period.
TEST(EndingStall, AClientThatEndsTcpAfterTheClosingHandshakeEndsAtOnce) {
  ServerProcess server({"cat"});
  auto client = after_the_closing_handshake(server);
  ASSERT_TRUE(client);
  const auto replied_at = Clock::now();
  client->shutdown_write();

  EXPECT_TRUE(children_all_gone(server, 8s));
  EXPECT_LT(Clock::now() - replied_at, 900ms) << "the session waited for the sweep";
}

}  // namespace
}  // namespace wsexec_test
