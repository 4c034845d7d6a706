#include "core/terminal_message.hpp"

#include <gtest/gtest.h>

#include "core/limits.hpp"

namespace wsexec {
namespace {

using Kind = TerminalMessage::Kind;

TEST(TerminalMessage, ResizeGivesTheSize) {
  const auto message = read_terminal_message(R"({"type":"resize","cols":132,"rows":43})");
  ASSERT_EQ(message.kind, Kind::resize);
  EXPECT_EQ(message.size, (TerminalSize{132, 43}));
}

TEST(TerminalMessage, ResizeIsBounded) {
  const auto message = read_terminal_message(R"({"type":"resize","cols":0,"rows":1e9})");
  ASSERT_EQ(message.kind, Kind::resize);
  EXPECT_EQ(message.size, (TerminalSize{1, limits::kMaxTerminalSide}));
}

// JSON numbers beyond every integer type arrive as doubles (found by
// fuzz_terminal_message: converting 1.2e20 was undefined behaviour).
TEST(TerminalMessage, ResizeSidesBeyondAnyIntegerAreBoundedToo) {
  for (const char* text : {R"({"type":"resize","cols":121555155555555555505,"rows":24})",
                           R"({"type":"resize","cols":18446744073709551616,"rows":24})",
                           R"({"type":"resize","cols":1e300,"rows":24.0})"}) {
    const auto message = read_terminal_message(text);
    ASSERT_EQ(message.kind, Kind::resize) << text;
    EXPECT_EQ(message.size, (TerminalSize{limits::kMaxTerminalSide, 24})) << text;
  }
}

TEST(TerminalMessage, ResizeWithBadSidesIsRefusedNotTyped) {
  for (const char* text :
       {R"({"type":"resize"})", R"({"type":"resize","cols":"80","rows":24})",
        R"({"type":"resize","cols":-1,"rows":24})", R"({"type":"resize","cols":80.5,"rows":24})"}) {
    const auto message = read_terminal_message(text);
    EXPECT_EQ(message.kind, Kind::refused) << text;
    EXPECT_NE(message.problem.find("cols"), std::string::npos) << text;
  }
}

TEST(TerminalMessage, InputGivesItsDataDecoded) {
  const auto message = read_terminal_message(R"({"type":"input","data":"ls\r\u00e9"})");
  ASSERT_EQ(message.kind, Kind::input);
  EXPECT_EQ(message.input, "ls\r\xc3\xa9");
}

TEST(TerminalMessage, InputWithoutStringDataIsRefused) {
  const auto message = read_terminal_message(R"({"type":"input","data":42})");
  EXPECT_EQ(message.kind, Kind::refused);
  EXPECT_NE(message.problem.find("data"), std::string::npos);
}

TEST(TerminalMessage, AnythingElseIsTypedAsItIs) {
  for (const char* text :
       {"echo hi\r", "", "{", "{not json}", R"({"type":"other","data":"x"})",
        R"({"cols":80,"rows":24})", R"([{"type":"resize"}])", R"({"type":7})", "  { broken"}) {
    const auto message = read_terminal_message(text);
    EXPECT_EQ(message.kind, Kind::input) << text;
    EXPECT_EQ(message.input, text);
  }
}

}  // namespace
}  // namespace wsexec
