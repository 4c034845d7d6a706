// --sse, --resumems and --resumebuffer (docs/sse-protocol.md).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.hpp"

namespace wsexec {
namespace {

using Args = std::vector<std::string>;

std::string refusal_of(const Args& args) {
  try {
    parse_command_line(args);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1);
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return {};
}

TEST(SseConfig, OffByDefaultWithNoResumeAndAMebibyteBuffer) {
  const Config config = parse_command_line({"cat"}).config;
  EXPECT_FALSE(config.sse);
  EXPECT_EQ(config.sse_resume_ms, 0u);
  EXPECT_EQ(config.sse_resume_buffer_bytes, 1u << 20);
}

TEST(SseConfig, TheOptionsAreRead) {
  const Config config =
      parse_command_line({"--sse", "--resumems=5000", "--resumebuffer=65536", "cat"}).config;
  EXPECT_TRUE(config.sse);
  EXPECT_EQ(config.sse_resume_ms, 5000u);
  EXPECT_EQ(config.sse_resume_buffer_bytes, 65536u);
  EXPECT_EQ(config.command, "cat");
}

TEST(SseConfig, ResumeOptionsWithoutSseAreRefusedNamingThem) {
  EXPECT_NE(refusal_of({"--resumems=10", "cat"}).find("--resumems"), std::string::npos);
  EXPECT_NE(refusal_of({"--resumebuffer=100000", "cat"}).find("--resumebuffer"), std::string::npos);
}

TEST(SseConfig, BadValuesAreRefusedNamingTheOption) {
  for (const char* bad : {"--resumems=-1", "--resumems=soon", "--resumems=86400001"}) {
    EXPECT_NE(refusal_of({"--sse", bad, "cat"}).find("--resumems"), std::string::npos) << bad;
  }
  for (const char* bad :
       {"--resumebuffer=1000", "--resumebuffer=1G", "--resumebuffer=2000000000"}) {
    EXPECT_NE(refusal_of({"--sse", bad, "cat"}).find("--resumebuffer"), std::string::npos) << bad;
  }
}

TEST(SseConfig, SharedProgramsTakeSseClientsInBothModes) {
  const Config broadcast = parse_command_line({"--sse", "--shared", "cat"}).config;
  EXPECT_TRUE(broadcast.sse);
  EXPECT_EQ(broadcast.shared_mode, SharedMode::broadcast);
  const Config addressed =
      parse_command_line({"--sse", "--shared=addressed", "--resumems=1000", "cat"}).config;
  EXPECT_TRUE(addressed.sse);
  EXPECT_EQ(addressed.shared_mode, SharedMode::addressed);
  EXPECT_EQ(addressed.sse_resume_ms, 1000u);
}

}  // namespace
}  // namespace wsexec
