// --idlems and --lifetimems on the command line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.hpp"

namespace wsexec {
namespace {

using Args = std::vector<std::string>;

Config parse(const Args& args) {
  return parse_command_line(args).config;
}

// Refused with exit 1 and a message that names the option.
void expect_refused(const Args& args, const std::string& option) {
  try {
    parse_command_line(args);
    ADD_FAILURE() << "accepted: " << args.front();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1) << args.front();
    EXPECT_NE(std::string(e.what()).find(option), std::string::npos) << e.what();
  }
}

TEST(ConfigSessionTimeouts, OffByDefault) {
  const Config config = parse({"cat"});
  EXPECT_EQ(config.idle_ms, 0u);
  EXPECT_EQ(config.lifetime_ms, 0u);
}

TEST(ConfigSessionTimeouts, TakeMilliseconds) {
  const Config config = parse({"--idlems=1500", "-lifetimems", "60000", "cat"});
  EXPECT_EQ(config.idle_ms, 1500u);
  EXPECT_EQ(config.lifetime_ms, 60000u);
  EXPECT_EQ(parse({"--idlems=0", "--lifetimems=0", "cat"}).idle_ms, 0u);
}

TEST(ConfigSessionTimeouts, TheLastOccurrenceWins) {
  EXPECT_EQ(parse({"--idlems=5", "--idlems=7", "cat"}).idle_ms, 7u);
}

TEST(ConfigSessionTimeouts, UpToThirtyDays) {
  EXPECT_EQ(parse({"--lifetimems=2592000000", "cat"}).lifetime_ms, 2'592'000'000u);
  expect_refused({"--lifetimems=2592000001", "cat"}, "--lifetimems");
  expect_refused({"--idlems=2592000001", "cat"}, "--idlems");
}

TEST(ConfigSessionTimeouts, BadValuesNameTheOption) {
  for (const std::string name : {"idlems", "lifetimems"}) {
    for (const std::string bad : {"-1", "x", "1e3", "12abc", "1.5"}) {
      expect_refused({"--" + name + "=" + bad, "cat"}, "--" + name);
    }
  }
}

TEST(ConfigSessionTimeouts, HelpListsBoth) {
  const std::string help = help_text();
  EXPECT_NE(help.find("--idlems"), std::string::npos) << help;
  EXPECT_NE(help.find("--lifetimems"), std::string::npos) << help;
}

}  // namespace
}  // namespace wsexec
