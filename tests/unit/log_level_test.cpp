#include "core/log_level.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <utility>

namespace wsexec {
namespace {

constexpr std::pair<std::string_view, LogLevel> kNames[] = {
    {"debug", LogLevel::debug}, {"trace", LogLevel::trace}, {"access", LogLevel::access},
    {"info", LogLevel::info},   {"error", LogLevel::error}, {"fatal", LogLevel::fatal},
    {"none", LogLevel::none},
};

TEST(LogLevelParse, EveryNameOfCompatMd) {
  for (const auto& [name, level] : kNames) {
    EXPECT_EQ(parse_log_level(name), std::optional<LogLevel>(level)) << name;
  }
}

TEST(LogLevelParse, OtherWordsAreRejected) {
  for (const std::string_view word : {"", "loud", "warn", "warning", "verbose", "all", "debu",
                                      "debugg", " debug", "debug ", "access\n", "0", "3"}) {
    EXPECT_EQ(parse_log_level(word), std::nullopt) << "\"" << word << "\"";
  }
}

TEST(LogLevelOrder, FromMostToLeastVerbose) {
  // A line is written when its level is at or above --loglevel.
  EXPECT_LT(LogLevel::debug, LogLevel::trace);
  EXPECT_LT(LogLevel::trace, LogLevel::access);
  EXPECT_LT(LogLevel::access, LogLevel::info);
  EXPECT_LT(LogLevel::info, LogLevel::error);
  EXPECT_LT(LogLevel::error, LogLevel::fatal);
  EXPECT_LT(LogLevel::fatal, LogLevel::none);
}

TEST(LogLevelLabel, CapitalsOfTheName) {
  EXPECT_EQ(log_level_label(LogLevel::debug), "DEBUG");
  EXPECT_EQ(log_level_label(LogLevel::trace), "TRACE");
  EXPECT_EQ(log_level_label(LogLevel::access), "ACCESS");
  EXPECT_EQ(log_level_label(LogLevel::info), "INFO");
  EXPECT_EQ(log_level_label(LogLevel::error), "ERROR");
  EXPECT_EQ(log_level_label(LogLevel::fatal), "FATAL");
}

TEST(LogLevelLabel, LabelIsTheUpperCaseOfTheParsedName) {
  for (const auto& [name, level] : kNames) {
    if (level == LogLevel::none) continue;  // nothing is logged at "none"
    const std::string_view label = log_level_label(level);
    ASSERT_EQ(label.size(), name.size()) << name;
    for (std::size_t i = 0; i < name.size(); ++i) {
      EXPECT_EQ(label[i], name[i] - 'a' + 'A') << name;
    }
  }
}

}  // namespace
}  // namespace wsexec
