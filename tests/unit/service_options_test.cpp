// --drainms, --user and --group (issue 15): parsed through the one option
// table, refused with a sentence naming the option.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.hpp"

namespace wsexec {
namespace {

Config parsed(const std::vector<std::string>& args) {
  return parse_command_line(args).config;
}

std::string refusal(const std::vector<std::string>& args) {
  try {
    parse_command_line(args);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1);
    return e.what();
  }
  return "(accepted)";
}

TEST(ServiceOptions, DefaultsDrainNothingAndKeepTheUser) {
  const Config config = parsed({"cat"});
  EXPECT_EQ(config.drain_ms, 0u);
  EXPECT_EQ(config.run_as_user, "");
  EXPECT_EQ(config.run_as_group, "");
}

TEST(ServiceOptions, DrainmsUserAndGroupAreKept) {
  const Config config = parsed({"--drainms=5000", "--user=nobody", "--group", "nogroup", "cat"});
  EXPECT_EQ(config.drain_ms, 5000u);
  EXPECT_EQ(config.run_as_user, "nobody");
  EXPECT_EQ(config.run_as_group, "nogroup");
}

TEST(ServiceOptions, DrainmsIsAWholeNumberOfMillisecondsUpToAnHour) {
  EXPECT_EQ(parsed({"--drainms=3600000", "cat"}).drain_ms, 3'600'000u);
  for (const char* bad : {"--drainms=-1", "--drainms=1.5", "--drainms=3600001", "--drainms=x"}) {
    EXPECT_NE(refusal({bad, "cat"}).find("--drainms"), std::string::npos) << bad;
  }
}

TEST(ServiceOptions, EmptyUserOrGroupNamesTheOption) {
  EXPECT_NE(refusal({"--user=", "cat"}).find("--user"), std::string::npos);
  EXPECT_NE(refusal({"--user=nobody", "--group=", "cat"}).find("--group"), std::string::npos);
}

TEST(ServiceOptions, GroupWithoutUserIsRefused) {
  const std::string message = refusal({"--group=nogroup", "cat"});
  EXPECT_NE(message.find("--group only works together with --user"), std::string::npos) << message;
}

TEST(ServiceOptions, HelpListsTheThreeOptions) {
  const std::string help = help_text();
  for (const char* option : {"--drainms=MS", "--user=NAME", "--group=NAME"}) {
    EXPECT_NE(help.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace wsexec
