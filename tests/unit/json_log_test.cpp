#include "core/json_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace wsexec {
namespace {

using namespace std::chrono;
using Fields = std::vector<std::pair<std::string, std::string>>;

// 2026-12-03 10:45:49.123 UTC.
const system_clock::time_point kSomeTime =
    system_clock::time_point(seconds(1796294749)) + milliseconds(123);

nlohmann::json parsed(const std::string& line) {
  EXPECT_TRUE(line.ends_with('\n')) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "more than one line: " << line;
  return nlohmann::json::parse(line);  // throws (and fails the test) on invalid JSON
}

TEST(Rfc3339Time, IsUtcWithMilliseconds) {
  EXPECT_EQ(rfc3339_utc_millis(kSomeTime), "2026-12-03T10:45:49.123Z");
  EXPECT_EQ(rfc3339_utc_millis(system_clock::time_point(seconds(0))), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_utc_millis(system_clock::time_point(milliseconds(5))),
            "1970-01-01T00:00:00.005Z");
}

TEST(LogContext, SplitsMakeContextsShapeBackIntoFields) {
  EXPECT_EQ(split_log_context(""), Fields{});
  EXPECT_EQ(split_log_context("url:'http://h/x' id:'42' remote:'::1'"),
            (Fields{{"url", "http://h/x"}, {"id", "42"}, {"remote", "::1"}}));
  EXPECT_EQ(split_log_context("origin:''"), (Fields{{"origin", ""}}));
}

TEST(LogContext, QuotesAndSpacesInsideAValueStayInIt) {
  EXPECT_EQ(split_log_context("url:'http://h/it's here' id:'1'"),
            (Fields{{"url", "http://h/it's here"}, {"id", "1"}}));
  // The one shape that cannot be told apart: a value holding "' key:'"
  // reads as two fields (the text format has the same ambiguity).
  EXPECT_EQ(split_log_context("url:'/a' b:'c'"), (Fields{{"url", "/a"}, {"b", "c"}}));
  // A key is lowercase letters, digits and '_': "' X:'" starts no field.
  EXPECT_EQ(split_log_context("url:'/a' X:'c'"), (Fields{{"url", "/a' X:'c"}}));
}

TEST(LogContext, TextOfAnotherShapeIsKeptWhole) {
  EXPECT_EQ(split_log_context("no fields here"), (Fields{{"context", "no fields here"}}));
  EXPECT_EQ(split_log_context("id:'1' then junk"), (Fields{{"context", "id:'1' then junk"}}));
  EXPECT_EQ(split_log_context("id:'1' url:'unterminated"),
            (Fields{{"id", "1"}, {"context", "url:'unterminated"}}));
}

TEST(JsonLogLine, HasTimeLevelAreaMessageAndEveryContextField) {
  const auto line = parsed(format_json_log_line(
      kSomeTime, LogLevel::access, "session",
      "url:'http://127.0.0.1:8080/' id:'abc' remote:'127.0.0.1' command:'/bin/cat' "
      "origin:'http://example.com' pid:'4242'",
      "CONNECT"));
  EXPECT_EQ(line["time"], "2026-12-03T10:45:49.123Z");
  EXPECT_EQ(line["level"], "access");
  EXPECT_EQ(line["area"], "session");
  EXPECT_EQ(line["message"], "CONNECT");
  EXPECT_EQ(line["url"], "http://127.0.0.1:8080/");
  EXPECT_EQ(line["id"], "abc");
  EXPECT_EQ(line["remote"], "127.0.0.1");
  EXPECT_EQ(line["command"], "/bin/cat");
  EXPECT_EQ(line["origin"], "http://example.com");
  EXPECT_EQ(line["pid"], 4242) << "pid is a number";
  EXPECT_EQ(line.size(), 10u) << line.dump();
}

TEST(JsonLogLine, NumericFieldsThatAreNotNumbersStayText) {
  const auto line =
      parsed(format_json_log_line(kSomeTime, LogLevel::info, "process", "exit:'signal 9'", "x"));
  EXPECT_EQ(line["exit"], "signal 9");
}

TEST(JsonLogLine, EveryLevelIsLowercase) {
  // The same names --loglevel takes.
  for (const std::string name : {"debug", "trace", "access", "info", "error", "fatal"}) {
    const auto line = parsed(format_json_log_line(kSomeTime, *parse_log_level(name), "a", "", "m"));
    EXPECT_EQ(line["level"], name);
  }
}

TEST(JsonLogLine, ControlCharactersQuotesAndNewlinesAreEscapedOnOneLine) {
  const std::string odd = "a\"b\\c\nd\re\tf\x01g\x7f";
  const std::string text =
      format_json_log_line(kSomeTime, LogLevel::error, "stderr", "url:'http://h/" + odd + "'", odd);
  const auto line = parsed(text);
  EXPECT_EQ(line["message"], odd);
  EXPECT_EQ(line["url"], "http://h/" + odd);
}

TEST(JsonLogLine, InvalidUtf8IsReplacedByTheReplacementCharacter) {
  const std::string bad = std::string("ok \xff\xfe end \xc3", 11);
  const auto line =
      parsed(format_json_log_line(kSomeTime, LogLevel::error, "stderr", "url:'/\xe2\x82'", bad));
  EXPECT_EQ(line["message"], "ok \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD");
  EXPECT_EQ(line["url"], "/\xEF\xBF\xBD");
  // Valid UTF-8 passes untouched.
  const auto valid = parsed(
      format_json_log_line(kSomeTime, LogLevel::error, "stderr", "", "caf\xc3\xa9 \xe2\x82\xac"));
  EXPECT_EQ(valid["message"], "caf\xc3\xa9 \xe2\x82\xac");
}

TEST(JsonLogLine, AContextFieldNeverReplacesTheFixedOnes) {
  const auto line = parsed(format_json_log_line(kSomeTime, LogLevel::info, "http",
                                                "message:'forged' level:'x'", "real"));
  EXPECT_EQ(line["message"], "real");
  EXPECT_EQ(line["level"], "info");
}

TEST(LogFormatName, ParsesTextAndJsonOnly) {
  EXPECT_EQ(parse_log_format("text"), LogFormat::text);
  EXPECT_EQ(parse_log_format("json"), LogFormat::json);
  EXPECT_EQ(parse_log_format("Json"), std::nullopt);
  EXPECT_EQ(parse_log_format(""), std::nullopt);
}

}  // namespace
}  // namespace wsexec
