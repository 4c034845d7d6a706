// A program's pipes grow for a bulk stream, and only then
// (limits::kBulkPipeBytes): a read of its stdout that fills the server's
// read buffer, or a write to its stdin larger than a default pipe holds.
// The program itself reports its pipes' capacities (fcntl F_GETPIPE_SZ on
// its own descriptors 0 and 1), so what is checked is what the kernel gives
// it, not what the server thinks it asked for.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "harness.hpp"
#include "raw_ws.hpp"
#include "temp_dir.hpp"

namespace wsexec_test {
namespace {

constexpr std::size_t kGrown = 256 * 1024;

// Writes ARGV[0] bytes to stdout, reads ARGV[1] bytes from stdin, then
// prints "stdin=C0 stdout=C1" and a newline, its pipes' capacities.
constexpr std::string_view kReporter = R"(#!/usr/bin/perl
use strict;
my ($out, $in) = @ARGV;
my $block = 'b' x 65536;
while ($out > 0) {
  my $n = $out < 65536 ? $out : 65536;
  syswrite(STDOUT, $block, $n) == $n or exit 2;
  $out -= $n;
}
while ($in > 0) {
  my $n = sysread(STDIN, my $buffer, $in);
  exit 3 unless $n;
  $in -= $n;
}
my $F_GETPIPE_SZ = 1032;
syswrite(STDOUT, sprintf("stdin=%d stdout=%d\n", fcntl(STDIN, $F_GETPIPE_SZ, 0),
                         fcntl(STDOUT, $F_GETPIPE_SZ, 0)));
)";

struct Capacities {
  long in = -1;
  long out = -1;
};

// Reads data until the reporter's line and parses it; -1s if it never came.
Capacities read_report(RawWsConnection& client) {
  std::string text;
  while (text.find('\n') == std::string::npos) {
    const std::string more = client.read_data(1);
    if (more.empty()) return {};
    text += more;
  }
  Capacities found;
  if (std::sscanf(text.c_str(), "stdin=%ld stdout=%ld", &found.in, &found.out) != 2) return {};
  return found;
}

class PipeCapacity : public ::testing::Test {
 protected:
  // A server running the reporter with `out` and `in` in binary mode.
  ServerProcess start(std::size_t out, std::size_t in) {
    const std::string reporter = dir_.write_file("reporter.pl", kReporter, 0755);
    return ServerProcess({"--binary", reporter, std::to_string(out), std::to_string(in)});
  }
  TempDir dir_;
};

TEST_F(PipeCapacity, BulkOutputGrowsTheProgramsStdoutPipe) {
  constexpr std::size_t kOut = 8 * 1024 * 1024;
  auto server = start(kOut, 1);
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_EQ(client->read_data(kOut).size(), kOut);
  ASSERT_TRUE(client->send_frame({.opcode = opcode::binary, .payload = "g"}));
  const Capacities capacities = read_report(*client);
  EXPECT_EQ(capacities.out, static_cast<long>(kGrown));
  EXPECT_GT(capacities.in, 0);
  EXPECT_LT(capacities.in, static_cast<long>(kGrown)) << "stdin carried one byte";
}

TEST_F(PipeCapacity, ALargeMessageGrowsTheProgramsStdinPipe) {
  constexpr std::size_t kIn = 1024 * 1024;
  auto server = start(0, kIn);
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(client->send_frame({.opcode = opcode::binary, .payload = std::string(kIn, 'i')}));
  const Capacities capacities = read_report(*client);
  EXPECT_EQ(capacities.in, static_cast<long>(kGrown));
  EXPECT_GT(capacities.out, 0);
  EXPECT_LT(capacities.out, static_cast<long>(kGrown)) << "stdout carried one line";
}

TEST_F(PipeCapacity, LightTrafficKeepsTheDefaultPipes) {
  auto server = start(1024, 1024);
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_EQ(client->read_data(1024).size(), 1024u);
  ASSERT_TRUE(client->send_frame({.opcode = opcode::binary, .payload = std::string(1024, 'i')}));
  const Capacities capacities = read_report(*client);
  EXPECT_GT(capacities.in, 0);
  EXPECT_GT(capacities.out, 0);
  EXPECT_LT(capacities.in, static_cast<long>(kGrown));
  EXPECT_LT(capacities.out, static_cast<long>(kGrown));
}

}  // namespace
}  // namespace wsexec_test
