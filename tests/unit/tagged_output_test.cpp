#include "core/tagged_output.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace wsexec {
namespace {

std::string tagged(OutputStream stream, std::string_view line) {
  std::string out;
  append_tagged_line(stream, line, out);
  return out;
}

std::string stdout_json(std::string_view line) {
  return tagged(OutputStream::stdout_stream, line);
}

TEST(TaggedOutput, ExactShapeForEachStream) {
  EXPECT_EQ(stdout_json("hello"), R"({"stream":"stdout","data":"hello"})");
  EXPECT_EQ(tagged(OutputStream::stderr_stream, "oops"), R"({"stream":"stderr","data":"oops"})");
}

TEST(TaggedOutput, EmptyLine) {
  EXPECT_EQ(stdout_json(""), R"({"stream":"stdout","data":""})");
}

TEST(TaggedOutput, AppendsToWhatIsAlreadyThere) {
  std::string out = "x";
  append_tagged_line(OutputStream::stdout_stream, "a", out);
  append_tagged_line(OutputStream::stderr_stream, "b", out);
  EXPECT_EQ(out, R"(x{"stream":"stdout","data":"a"}{"stream":"stderr","data":"b"})");
}

TEST(TaggedOutput, EscapesQuoteAndBackslash) {
  EXPECT_EQ(stdout_json(R"(say "hi" \ bye)"), R"({"stream":"stdout","data":"say \"hi\" \\ bye"})");
}

TEST(TaggedOutput, ShortEscapesForCommonControlCharacters) {
  EXPECT_EQ(stdout_json("a\nb\rc\td\be\ff"), R"({"stream":"stdout","data":"a\nb\rc\td\be\ff"})");
}

TEST(TaggedOutput, OtherControlCharactersAsUnicodeEscapes) {
  const std::string nul_line("x\0y", 3);
  EXPECT_EQ(stdout_json(nul_line), R"({"stream":"stdout","data":"x\u0000y"})");
  EXPECT_EQ(stdout_json("\x1b[0m"), R"({"stream":"stdout","data":"\u001b[0m"})");
  EXPECT_EQ(stdout_json("\x1f\x01\x0b"), R"({"stream":"stdout","data":"\u001f\u0001\u000b"})");
}

TEST(TaggedOutput, EveryControlCharacterIsEscaped) {
  for (int c = 0; c < 0x20; ++c) {
    std::string expected;
    switch (c) {
      case '\b':
        expected = "\\b";
        break;
      case '\t':
        expected = "\\t";
        break;
      case '\n':
        expected = "\\n";
        break;
      case '\f':
        expected = "\\f";
        break;
      case '\r':
        expected = "\\r";
        break;
      default: {
        char escape[8];
        std::snprintf(escape, sizeof escape, "\\u%04x", c);
        expected = escape;
      }
    }
    EXPECT_EQ(stdout_json(std::string(1, static_cast<char>(c))),
              R"({"stream":"stdout","data":")" + expected + R"("})")
        << c;
  }
}

TEST(TaggedOutput, LeavesDeleteAndNonAsciiAlone) {
  EXPECT_EQ(stdout_json("\x7f"), "{\"stream\":\"stdout\",\"data\":\"\x7f\"}");
  EXPECT_EQ(stdout_json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xE2\x80\xA8"),
            "{\"stream\":\"stdout\",\"data\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 "
            "\xE2\x80\xA8\"}");
}

TEST(TaggedOutput, LeavesOtherPrintableAsciiAlone) {
  EXPECT_EQ(stdout_json("</script> & 'x' / {}"),
            R"({"stream":"stdout","data":"</script> & 'x' / {}"})");
}

}  // namespace
}  // namespace wsexec
