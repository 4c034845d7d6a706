// --shared, --sharedidlems and --sendqueue (docs/shared.md).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.hpp"

namespace wsexec {
namespace {

using Args = std::vector<std::string>;

Config config_of(const Args& args) {
  return parse_command_line(args).config;
}

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

TEST(SharedConfig, ProgramsArePerConnectionByDefault) {
  const Config config = config_of({"cat"});
  EXPECT_EQ(config.shared_mode, SharedMode::off);
  EXPECT_FALSE(config.shared_idle_ms.has_value());
  EXPECT_EQ(config.send_queue_bytes, 1u << 20);
}

TEST(SharedConfig, BareSharedMeansBroadcastAndDoesNotSwallowTheCommand) {
  const Config config = config_of({"--shared", "cat"});
  EXPECT_EQ(config.shared_mode, SharedMode::broadcast);
  EXPECT_EQ(config.command, "cat");
}

TEST(SharedConfig, ModesAreNamedAfterTheEqualsSign) {
  EXPECT_EQ(config_of({"--shared=broadcast", "cat"}).shared_mode, SharedMode::broadcast);
  EXPECT_EQ(config_of({"--shared=addressed", "cat"}).shared_mode, SharedMode::addressed);
  EXPECT_EQ(config_of({"-shared=addressed", "cat"}).shared_mode, SharedMode::addressed);
}

TEST(SharedConfig, AnUnknownModeIsRefusedNamingTheOption) {
  const std::string message = refusal_of({"--shared=chat", "cat"});
  EXPECT_NE(message.find("--shared"), std::string::npos) << message;
  EXPECT_NE(message.find("chat"), std::string::npos) << message;
}

TEST(SharedConfig, IdleTimeAndSendQueueAreRead) {
  const Config config = config_of({"--shared", "--sharedidlems=250", "--sendqueue=65536", "cat"});
  ASSERT_TRUE(config.shared_idle_ms.has_value());
  EXPECT_EQ(*config.shared_idle_ms, 250u);
  EXPECT_EQ(config.send_queue_bytes, 65536u);
  EXPECT_EQ(*config_of({"--shared", "--sharedidlems=0", "cat"}).shared_idle_ms, 0u);
}

TEST(SharedConfig, SharedOnlyOptionsNeedShared) {
  EXPECT_NE(refusal_of({"--sharedidlems=10", "cat"}).find("--sharedidlems"), std::string::npos);
  EXPECT_NE(refusal_of({"--sendqueue=100000", "cat"}).find("--sendqueue"), std::string::npos);
}

TEST(SharedConfig, BadNumbersAreRefusedNamingTheOption) {
  EXPECT_NE(refusal_of({"--shared", "--sendqueue=1000", "cat"}).find("sendqueue"),
            std::string::npos);
  EXPECT_NE(refusal_of({"--shared", "--sharedidlems=soon", "cat"}).find("sharedidlems"),
            std::string::npos);
}

TEST(SharedConfig, PassstderrCannotShareStdoutWithTheAddressedProtocol) {
  EXPECT_NE(refusal_of({"--shared=addressed", "--passstderr", "cat"}).find("--passstderr"),
            std::string::npos);
  EXPECT_TRUE(config_of({"--shared", "--passstderr", "cat"}).pass_stderr);
}

}  // namespace
}  // namespace wsexec
