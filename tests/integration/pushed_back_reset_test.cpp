// A client that leaves while it is being pushed back (issue 12, item 5): the
// program does not read its stdin, so once the stdin queue and the pipe are
// full the server stops reading the client. A reset then arrives on a socket
// nobody reads from; the server must still notice it and end the program,
// instead of keeping it, its pipes, the socket and a --maxforks slot until
// the program exits on its own.
#include <string>
#include <thread>

#include "harness.hpp"
#include "hostile_common.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

class PushedBackReset : public testing::TestWithParam<bool> {};

TEST_P(PushedBackReset, AResetWhileReadsArePausedEndsTheProgram) {
  const bool binary = GetParam();
  std::vector<std::string> args;
  if (binary) args.push_back("--binary");
  // Busy, never reading: its stdin fills up and stays full.
  args.insert(args.end(), {"sh", "-c", "exec sleep 600"});
  ServerProcess server(args);
  const int idle_descriptors = open_descriptor_count(server.pid());

  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).size() == 1; }, 5s, 20ms));
  // More than the stdin queue (64 KiB) and the pipe (64 KiB) hold, so the
  // server stops reading; what the kernel buffers takes the rest.
  const std::string chunk(16 * 1024, 'x');
  OutFrame frame;
  frame.opcode = binary ? opcode::binary : opcode::text;
  frame.payload = chunk;
  // Until the socket takes no more (the server has stopped reading and the
  // kernel's buffers are full), at least 256 KiB.
  int sent = 0;
  while (sent < 512 && client->send_frame(frame, 500ms)) ++sent;
  ASSERT_GE(sent, 16);
  ASSERT_LT(sent, 512) << "the server never stopped reading";
  client->reset();

  // The ladder takes about 1.9 s at most; without the watch, nothing would
  // happen until `sleep 600` ends.
  EXPECT_TRUE(children_all_gone(server, 6s));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 6s));
}

// The same client leaving with a close() instead of a reset, while its own
// send buffer is still full: its FIN waits behind data the server does not
// take and never arrives. The session's ping, which a closed socket answers
// with a reset, finds it gone.
TEST_P(PushedBackReset, AClientClosingNormallyWhileReadsArePausedEndsTheProgram) {
  const bool binary = GetParam();
  std::vector<std::string> args;
  if (binary) args.push_back("--binary");
  args.insert(args.end(), {"sh", "-c", "exec sleep 600"});
  ServerProcess server(args);
  const int idle_descriptors = open_descriptor_count(server.pid());

  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).size() == 1; }, 5s, 20ms));
  OutFrame frame;
  frame.opcode = binary ? opcode::binary : opcode::text;
  frame.payload = std::string(16 * 1024, 'x');
  int sent = 0;
  while (sent < 512 && client->send_frame(frame, 500ms)) ++sent;
  ASSERT_GE(sent, 16);
  ASSERT_LT(sent, 512) << "the server never stopped reading";
  client.reset();  // close(): a FIN, nothing unread on our side

  // The probe's second and its reset, then the ladder's 1.9 s at most.
  EXPECT_TRUE(children_all_gone(server, 8s));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 8s));
}

// A client that sends just enough to pause reads (the stdin queue and the
// pipe, 128 KiB, then a little the kernel keeps) and then closes: its FIN
// arrives, but only makes the socket readable behind the unread messages.
// The ping finds it gone too.
TEST_P(PushedBackReset, AClientWhoseFinArrivesWhileReadsArePausedEndsTheProgram) {
  const bool binary = GetParam();
  std::vector<std::string> args;
  if (binary) args.push_back("--binary");
  args.insert(args.end(), {"sh", "-c", "exec sleep 600"});
  ServerProcess server(args);
  const int idle_descriptors = open_descriptor_count(server.pid());

  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).size() == 1; }, 5s, 20ms));
  OutFrame frame;
  frame.opcode = binary ? opcode::binary : opcode::text;
  frame.payload = std::string(60000, 'x');
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client->send_frame(frame, 2s));
  std::this_thread::sleep_for(200ms);  // all of it taken: only the server's socket holds the rest
  client.reset();                      // close(): a FIN that arrives

  EXPECT_TRUE(children_all_gone(server, 8s));
  EXPECT_TRUE(descriptors_return_to(server, idle_descriptors, 8s));
}

INSTANTIATE_TEST_SUITE_P(Modes, PushedBackReset, testing::Values(false, true),
                         [](const testing::TestParamInfo<bool>& info) {
                           return info.param ? "BinaryMode" : "LineMode";
                         });

}  // namespace
}  // namespace wsexec_test
