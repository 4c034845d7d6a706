#include "core/spawn_wire.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace wsexec {
namespace {

constexpr std::size_t kRoomy = 1 << 20;

// Splits an encoded request as the helper reads it: header, then body.
struct Split {
  std::optional<SpawnHeader> header;
  std::string body;
};

Split split(const std::string& request, std::size_t max_body = kRoomy) {
  Split parts;
  parts.header = decode_spawn_header(request.substr(0, kSpawnHeaderBytes), max_body);
  parts.body = request.substr(kSpawnHeaderBytes);
  return parts;
}

TEST(SpawnWire, ARequestComesBackAsExecveWantsIt) {
  const std::string request =
      encode_spawn_request("/bin/cat", {"cat", "-u", ""}, {"A=1", "PATH=/bin"}, false, kRoomy);
  Split parts = split(request);
  ASSERT_TRUE(parts.header);
  EXPECT_FALSE(parts.header->terminal_session);
  const auto strings = decode_spawn_body(*parts.header, parts.body);
  ASSERT_TRUE(strings);
  EXPECT_STREQ(strings->executable, "/bin/cat");
  ASSERT_EQ(strings->argv.size(), 4u);
  EXPECT_STREQ(strings->argv[0], "cat");
  EXPECT_STREQ(strings->argv[1], "-u");
  EXPECT_STREQ(strings->argv[2], "");  // an empty argument survives
  EXPECT_EQ(strings->argv[3], nullptr);
  ASSERT_EQ(strings->envp.size(), 3u);
  EXPECT_STREQ(strings->envp[1], "PATH=/bin");
  EXPECT_EQ(strings->envp[2], nullptr);
}

TEST(SpawnWire, TheTerminalSessionFlagTravels) {
  const std::string request = encode_spawn_request("/bin/sh", {"sh"}, {}, true, kRoomy);
  const Split parts = split(request);
  ASSERT_TRUE(parts.header);
  EXPECT_TRUE(parts.header->terminal_session);
  EXPECT_EQ(parts.header->envc, 0u);
}

TEST(SpawnWire, ARequestLargerThanAllowedIsNotEncoded) {
  EXPECT_TRUE(
      encode_spawn_request("/bin/cat", {"cat"}, {std::string(100, 'x')}, false, 50).empty());
  const std::string request =
      encode_spawn_request("/bin/cat", {"cat"}, {std::string(100, 'x')}, false, kRoomy);
  EXPECT_FALSE(split(request, 50).header) << "the reader holds the same limit";
}

TEST(SpawnWire, AStringWithANulInsideIsCutThereAsExecveWouldReadIt) {
  const std::string request =
      encode_spawn_request("/bin/echo", {"echo", std::string("a\0b", 3), "c"}, {}, false, kRoomy);
  Split parts = split(request);
  ASSERT_TRUE(parts.header);
  const auto strings = decode_spawn_body(*parts.header, parts.body);
  ASSERT_TRUE(strings);
  EXPECT_STREQ(strings->argv[1], "a");
  EXPECT_STREQ(strings->argv[2], "c") << "the next argument is not shifted";
}

TEST(SpawnWire, ABrokenHeaderIsRefused) {
  const std::string request = encode_spawn_request("/bin/cat", {"cat"}, {}, false, kRoomy);
  const std::string header = request.substr(0, kSpawnHeaderBytes);
  EXPECT_FALSE(decode_spawn_header(header.substr(1), kRoomy)) << "short";
  std::string wrong_magic = header;
  wrong_magic[0] ^= 1;
  EXPECT_FALSE(decode_spawn_header(wrong_magic, kRoomy));
  std::string unknown_flag = header;
  unknown_flag[7] = 0x40;
  EXPECT_FALSE(decode_spawn_header(unknown_flag, kRoomy));
  std::string more_strings_than_bytes = header;
  const std::uint32_t huge = 1u << 30;
  std::memcpy(more_strings_than_bytes.data() + 12, &huge, sizeof huge);
  EXPECT_FALSE(decode_spawn_header(more_strings_than_bytes, kRoomy));
}

TEST(SpawnWire, ABodyThatDoesNotMatchItsHeaderIsRefused) {
  const std::string request =
      encode_spawn_request("/bin/cat", {"cat", "x"}, {"A=1"}, false, kRoomy);
  Split parts = split(request);
  ASSERT_TRUE(parts.header);
  std::string missing_nul = parts.body;
  missing_nul.back() = 'z';
  EXPECT_FALSE(decode_spawn_body(*parts.header, missing_nul));
  std::string extra_string = parts.body;
  extra_string[extra_string.find('\0') + 2] = '\0';  // "c\0at" splits into two
  EXPECT_FALSE(decode_spawn_body(*parts.header, extra_string));
  std::string shorter = parts.body.substr(1);
  EXPECT_FALSE(decode_spawn_body(*parts.header, shorter));
  SpawnHeader no_argv = *parts.header;
  no_argv.argc = 0;
  no_argv.envc = 3;
  EXPECT_FALSE(decode_spawn_body(no_argv, parts.body)) << "execve needs argv[0]";
}

TEST(SpawnWire, RepliesRoundTripAndNonsenseIsRefused) {
  const auto started = decode_spawn_reply(encode_spawn_reply({4242, 0}));
  ASSERT_TRUE(started);
  EXPECT_EQ(started->pid, 4242);
  EXPECT_EQ(started->error, 0);
  const auto exec_failed = decode_spawn_reply(encode_spawn_reply({77, ENOENT}));
  ASSERT_TRUE(exec_failed);
  EXPECT_EQ(exec_failed->error, ENOENT);
  const auto clone_failed = decode_spawn_reply(encode_spawn_reply({-1, EAGAIN}));
  ASSERT_TRUE(clone_failed);
  EXPECT_EQ(clone_failed->pid, -1);
  EXPECT_FALSE(decode_spawn_reply(encode_spawn_reply({-1, 0}))) << "neither a child nor an errno";
  EXPECT_FALSE(decode_spawn_reply(encode_spawn_reply({0, 0})));
  EXPECT_FALSE(decode_spawn_reply(encode_spawn_reply({-5, 1})));
  EXPECT_FALSE(decode_spawn_reply(encode_spawn_reply({3, -1})));
  EXPECT_FALSE(decode_spawn_reply("short"));
}

}  // namespace
}  // namespace wsexec
