// --compress: permessage-deflate (RFC 7692) for clients that offer it, with
// small windows; docs/compatibility.md, "Compression".
#include <string>

#include "harness.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

constexpr std::uint8_t kRsv1 = 0b100;  // "this message is compressed" (RFC 7692 6)

struct Offered {
  std::string head;
  InFrame echo;  // the server's reply to one uncompressed text message
};

// Upgrades offering `extensions` (none when empty), sends "hello" uncompressed
// (a client may always do so) and reads what the program (cat) echoes.
Offered offer(const ServerProcess& server, const std::string& extensions) {
  UpgradeRequest request;
  if (!extensions.empty()) request.set("Sec-WebSocket-Extensions", extensions);
  RawWsConnection connection(server.port());
  Offered result;
  result.head = connection.request_upgrade(request);
  if (http_status_of(result.head) != 101) return result;
  connection.send_frame({.opcode = opcode::text, .payload = "hello"});
  const ReadResult read = connection.read_frame(5s);
  if (read.end == ReadEnd::frame) result.echo = read.frame;
  return result;
}

std::string extensions_of(const Offered& offered) {
  return http_header(offered.head, "Sec-WebSocket-Extensions").value_or("(none)");
}

TEST(Compression, AClientOfferingDeflateGetsItWithOurSmallWindows) {
  ServerProcess server({"--compress", "cat"});
  const Offered offered = offer(server, "permessage-deflate; client_max_window_bits");
  ASSERT_EQ(http_status_of(offered.head), 101) << offered.head;
  EXPECT_EQ(extensions_of(offered),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11; "
            "client_max_window_bits=11");
  EXPECT_EQ(offered.echo.opcode, opcode::text) << describe(offered.echo);
  EXPECT_EQ(offered.echo.rsv, kRsv1) << "the echo was not compressed: " << describe(offered.echo);
  EXPECT_NE(offered.echo.payload, "hello");
}

TEST(Compression, WithoutTheOptionTheOfferIsDeclined) {
  ServerProcess server({"cat"});
  const Offered offered = offer(server, "permessage-deflate; client_max_window_bits");
  ASSERT_EQ(http_status_of(offered.head), 101) << offered.head;
  EXPECT_EQ(extensions_of(offered), "(none)");
  EXPECT_EQ(offered.echo.rsv, 0) << describe(offered.echo);
  EXPECT_EQ(offered.echo.payload, "hello");
}

TEST(Compression, AClientThatOffersNothingIsServedUncompressed) {
  ServerProcess server({"--compress", "cat"});
  const Offered offered = offer(server, "");
  ASSERT_EQ(http_status_of(offered.head), 101) << offered.head;
  EXPECT_EQ(extensions_of(offered), "(none)");
  EXPECT_EQ(offered.echo.rsv, 0) << describe(offered.echo);
  EXPECT_EQ(offered.echo.payload, "hello");
}

// RFC 7692 7.1.2.2: a client that does not name client_max_window_bits may
// compress with a 32 KiB window; it is accepted, and not told a limit it did
// not agree to.
TEST(Compression, AnOfferWithoutClientWindowBitsIsAcceptedWithoutThem) {
  ServerProcess server({"--compress", "cat"});
  const Offered offered = offer(server, "permessage-deflate");
  ASSERT_EQ(http_status_of(offered.head), 101) << offered.head;
  EXPECT_EQ(extensions_of(offered),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11");
  EXPECT_EQ(offered.echo.rsv, kRsv1) << describe(offered.echo);
}

TEST(Compression, TheClientsSmallerWindowsAndNoContextTakeoverAreHonoured) {
  ServerProcess server({"--compress", "cat"});
  const Offered offered =
      offer(server,
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9; "
            "server_no_context_takeover; client_no_context_takeover");
  ASSERT_EQ(http_status_of(offered.head), 101) << offered.head;
  EXPECT_EQ(extensions_of(offered),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=9");
  EXPECT_EQ(offered.echo.rsv, kRsv1) << describe(offered.echo);
}

// zlib cannot compress with a 256-byte window; answering 9 instead would make
// the client fail the connection (RFC 7692 7.1.2.1), so the offer is declined.
TEST(Compression, AServerWindowOf8IsDeclinedNotAnsweredWithAnother) {
  ServerProcess server({"--compress", "cat"});
  const Offered offered = offer(server, "permessage-deflate; server_max_window_bits=8");
  ASSERT_EQ(http_status_of(offered.head), 101) << offered.head;
  EXPECT_EQ(extensions_of(offered), "(none)");
  EXPECT_EQ(offered.echo.payload, "hello");
}

TEST(Compression, AConformingClientRoundTripsCompressedMessages) {
  ServerProcess server({"--compress", "cat"});
  const RunResult run =
      run_program(WSEXEC_SOURCE_DIR "/tests/integration/clients/python_ws_client.py",
                  {"--port", std::to_string(server.port()), "--compress", "--messages", "50"}, 20s);
  ASSERT_TRUE(run.status) << "the client did not finish";
  if (run.status->exited && run.status->code == 77) GTEST_SKIP() << "python3-websockets missing";
  EXPECT_TRUE(run.status->exited && run.status->code == 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "extensions=permessage-deflate\n")) << run.out;
  EXPECT_TRUE(contains(run.out, "echoed=51\n")) << run.out;
}

// Binary mode with --compress: a program's chunks still go through Beast,
// which compresses them for a client that took the extension.
TEST(Compression, BinaryOutputIsCompressedForAClientThatTookTheExtension) {
  ServerProcess server({"--compress", "--binary", "cat"});
  UpgradeRequest request;
  request.set("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits");
  RawWsConnection connection(server.port());
  ASSERT_EQ(http_status_of(connection.request_upgrade(request)), 101);
  const std::string payload(4096, 'z');
  ASSERT_TRUE(connection.send_frame({.opcode = opcode::binary, .payload = payload}));
  const ReadResult read = connection.read_frame(5s);
  ASSERT_EQ(read.end, ReadEnd::frame);
  EXPECT_EQ(read.frame.opcode, opcode::binary) << describe(read.frame);
  EXPECT_EQ(read.frame.rsv, kRsv1) << "the echo was not compressed: " << describe(read.frame);
  EXPECT_LT(read.frame.payload.size(), payload.size());
}

}  // namespace
}  // namespace wsexec_test
