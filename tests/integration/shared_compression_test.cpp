// --shared with --compress: the program's output is framed once for the
// clients that did not negotiate permessage-deflate, while each that did
// compresses it with its own context (docs/shared.md). Both kinds, on one
// program, must get every line whole and in order.
#include <string>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

constexpr Millis kWait = 10000ms;
constexpr int kConformingClientLines = 50;

// What tests/integration/clients/python_ws_client.py sends with
// --messages N: N short JSON lines, then one of 200 KB, longer than any
// window and highly compressible.
std::vector<std::string> lines_of_the_conforming_client(int count) {
  std::vector<std::string> lines;
  for (int i = 0; i < count; ++i) {
    lines.push_back(R"({"seq":)" + std::to_string(i) +
                    R"(,"level":"info","message":"event number )" + std::to_string(i) + " of " +
                    std::to_string(count) + R"("})");
  }
  std::string bulk;
  for (int i = 0; i < 25000; ++i) bulk += "abcdefgh";
  lines.push_back(R"({"bulk":")" + bulk + R"("})");
  return lines;
}

TEST(SharedCompression, ACompressedAndAnUncompressedClientOfOneProgramBothGetEveryLine) {
  ServerProcess server({"--shared", "--compress", "cat"});
  // The uncompressed client joins first: its hello comes back through cat.
  auto plain = connect_to(server, "/");
  ASSERT_TRUE(plain->send_text("hello"));
  WsEvent hello = plain->read(kWait);
  ASSERT_TRUE(hello.is_message()) << describe(hello);
  ASSERT_EQ(hello.data, "hello");

  // The conforming client negotiates permessage-deflate and checks that each
  // line it sends comes back unchanged (only its own lines pass meanwhile).
  const RunResult run =
      run_program(WSEXEC_SOURCE_DIR "/tests/integration/clients/python_ws_client.py",
                  {"--port", std::to_string(server.port()), "--compress", "--messages",
                   std::to_string(kConformingClientLines)},
                  20s);
  ASSERT_TRUE(run.status) << "the client did not finish";
  if (run.status->exited && run.status->code == 77) GTEST_SKIP() << "python3-websockets missing";
  EXPECT_TRUE(run.status->exited && run.status->code == 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "extensions=permessage-deflate\n")) << run.out;
  EXPECT_TRUE(contains(run.out, "echoed=" + std::to_string(kConformingClientLines + 1) + "\n"))
      << run.out;

  // The same lines reached the uncompressed client, framed once for all.
  for (const std::string& line : lines_of_the_conforming_client(kConformingClientLines)) {
    WsEvent event = plain->read(kWait);
    ASSERT_TRUE(event.is_message()) << describe(event);
    ASSERT_EQ(event.data.size(), line.size());
    ASSERT_EQ(event.data, line);
  }
}

}  // namespace
}  // namespace wsexec_test
