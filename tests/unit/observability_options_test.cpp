#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/observability_options.hpp"

namespace wsexec {
namespace {

using Args = std::vector<std::string>;

Config parse(Args args) {
  args.push_back("cat");
  return parse_command_line(args).config;
}

// The refusal's message, or nullopt when the arguments are accepted.
std::optional<std::string> refusal(Args args) {
  args.push_back("cat");
  try {
    parse_command_line(args);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1) << e.what();
    return e.what();
  }
  return std::nullopt;
}

TEST(MetricsOption, IsOffUnlessGiven) {
  const Config config = parse({});
  EXPECT_TRUE(config.metrics_address.empty());
  EXPECT_EQ(config.metrics_port, 0u);
}

TEST(MetricsOption, APortAloneListensOnTheIpv4Loopback) {
  const Config config = parse({"--metrics=9100"});
  EXPECT_EQ(config.metrics_address, "127.0.0.1");
  EXPECT_EQ(config.metrics_port, 9100u);
}

TEST(MetricsOption, TakesAnIpv4AddressOrABracketedIpv6One) {
  EXPECT_EQ(parse({"--metrics=0.0.0.0:9200"}).metrics_address, "0.0.0.0");
  EXPECT_EQ(parse({"--metrics=0.0.0.0:9200"}).metrics_port, 9200u);
  EXPECT_EQ(parse({"-metrics", "[::1]:9300"}).metrics_address, "::1");
  EXPECT_EQ(parse({"-metrics", "[::1]:9300"}).metrics_port, 9300u);
}

TEST(MetricsOption, BadValuesAreRefusedNamingTheOption) {
  for (const std::string bad :
       {"", "0", "65536", "nine", "127.0.0.1:", "127.0.0.1:x", "::1:9100", "[::1]9100",
        "[127.0.0.1]:9100", "localhost:9100", "[::1]:0", ":9100"}) {
    SCOPED_TRACE(bad);
    const auto message = refusal({"--metrics=" + bad});
    ASSERT_TRUE(message.has_value()) << "accepted";
    EXPECT_NE(message->find("--metrics"), std::string::npos) << *message;
  }
}

TEST(LogFormatOption, DefaultsToWebsocketdsText) {
  EXPECT_EQ(parse({}).log_format, LogFormat::text);
  EXPECT_EQ(parse({"--logformat=text"}).log_format, LogFormat::text);
}

TEST(LogFormatOption, JsonIsChosenByName) {
  EXPECT_EQ(parse({"--logformat=json"}).log_format, LogFormat::json);
  EXPECT_EQ(parse({"--logformat", "json"}).log_format, LogFormat::json);
}

TEST(LogFormatOption, AnythingElseIsRefusedNamingTheChoices) {
  for (const std::string bad : {"", "JSON", "xml", "json "}) {
    SCOPED_TRACE(bad);
    const auto message = refusal({"--logformat=" + bad});
    ASSERT_TRUE(message.has_value()) << "accepted";
    EXPECT_NE(message->find("--logformat must be text or json"), std::string::npos) << *message;
  }
}

TEST(ObservabilityHelp, ListsBothOptions) {
  const std::string help = help_text();
  EXPECT_NE(help.find("--metrics=[ADDR:]PORT"), std::string::npos) << help;
  EXPECT_NE(help.find("--logformat=FORMAT"), std::string::npos) << help;
}

}  // namespace
}  // namespace wsexec
