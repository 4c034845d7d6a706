// --unbuffered and --pty on the command line (issue 14).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.hpp"

namespace wsexec {
namespace {

using Args = std::vector<std::string>;

// The message of the ConfigError the arguments raise ("" if none), with its
// exit status checked: 1, a bad combination, not a usage error.
std::string refusal(const Args& args) {
  try {
    parse_command_line(args);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1) << e.what();
    return e.what();
  }
  return "";
}

TEST(ConfigTerminal, OffByDefault) {
  const Config config = parse_command_line({"cat"}).config;
  EXPECT_FALSE(config.unbuffered);
  EXPECT_FALSE(config.pty);
}

TEST(ConfigTerminal, FlagsAreRead) {
  EXPECT_TRUE(parse_command_line({"--unbuffered", "cat"}).config.unbuffered);
  EXPECT_TRUE(parse_command_line({"-unbuffered=true", "--binary", "cat"}).config.unbuffered);
  EXPECT_TRUE(parse_command_line({"--pty", "bash"}).config.pty);
  EXPECT_FALSE(parse_command_line({"--pty=false", "--binary", "cat"}).config.pty);
}

TEST(ConfigTerminal, PtyRefusesWhatCannotApplyNamingBothOptions) {
  for (const std::string other : {"unbuffered", "binary", "passstderr"}) {
    const std::string message = refusal({"--pty", "--" + other, "bash"});
    EXPECT_NE(message.find("--pty"), std::string::npos) << message;
    EXPECT_NE(message.find("--" + other), std::string::npos) << message;
    EXPECT_EQ(refusal({"--" + other, "--pty", "bash"}), message);
  }
}

// The dev console under --pty is the terminal page (src/http/terminal.html).
TEST(ConfigTerminal, PtyAcceptsTheDevConsole) {
  for (const Args& args :
       {Args{"--pty", "--devconsole", "bash"}, Args{"--devconsole", "--pty", "bash"}}) {
    EXPECT_EQ(refusal(args), "");
    const Config config = parse_command_line(args).config;
    EXPECT_TRUE(config.pty);
    EXPECT_TRUE(config.dev_console);
  }
}

TEST(ConfigTerminal, HelpNamesBothOptions) {
  const std::string help = help_text();
  EXPECT_NE(help.find("--unbuffered"), std::string::npos);
  EXPECT_NE(help.find("--pty"), std::string::npos);
}

}  // namespace
}  // namespace wsexec
