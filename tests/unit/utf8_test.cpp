#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace wsexec {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

std::string repaired(std::string_view bytes) {
  std::string out;
  append_repaired_utf8(bytes, out);
  return out;
}

std::string times(std::string_view piece, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += piece;
  return out;
}

// A validator written the other way round from the one under test: decode a
// code point, then check it against the rules it must obey.
std::optional<std::size_t> reference_sequence_length(std::string_view bytes) {
  const auto lead = static_cast<unsigned char>(bytes[0]);
  std::size_t length;
  std::uint32_t code_point;
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (bytes.size() < length) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if ((byte & 0xC0) != 0x80) return std::nullopt;
    code_point = (code_point << 6) | (byte & 0x3F);
  }
  const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < smallest[length]) return std::nullopt;
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return std::nullopt;
  if (code_point > 0x10FFFF) return std::nullopt;
  return length;
}

bool reference_valid(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto length = reference_sequence_length(bytes);
    if (!length) return false;
    bytes.remove_prefix(*length);
  }
  return true;
}

// True when some well-formed character starts with `prefix`: only the byte
// after the lead has a range that depends on the lead, so trying every
// continuation byte there (and 0x80 after it) covers every case.
bool starts_some_character(std::string_view prefix) {
  const auto lead = static_cast<unsigned char>(prefix[0]);
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (prefix.size() > length) return false;
  if (prefix.size() == length) return reference_sequence_length(prefix) == length;
  for (int second = 0x80; second <= 0xBF; ++second) {
    std::string candidate(prefix);
    if (candidate.size() == 1) candidate.push_back(static_cast<char>(second));
    candidate.resize(length, '\x80');
    if (reference_sequence_length(candidate) == length) return true;
  }
  return false;
}

// Maximal subpart substitution, the slow obvious way.
std::string reference_repair(std::string_view bytes) {
  std::string out;
  while (!bytes.empty()) {
    if (const auto length = reference_sequence_length(bytes)) {
      out.append(bytes.substr(0, *length));
      bytes.remove_prefix(*length);
      continue;
    }
    std::size_t subpart = 1;
    while (subpart < bytes.size() && starts_some_character(bytes.substr(0, subpart + 1))) {
      ++subpart;
    }
    out += fffd;
    bytes.remove_prefix(subpart);
  }
  return out;
}

TEST(Utf8Valid, AcceptsAsciiAndEmpty) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("hello, world"));
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));
  EXPECT_TRUE(is_valid_utf8("\x7F"));
  EXPECT_TRUE(is_valid_utf8(std::string(1000, 'x')));
}

TEST(Utf8Valid, AcceptsEveryLengthAtItsBoundaries) {
  for (const char* text : {
           "\xC2\x80",          // U+0080
           "\xDF\xBF",          // U+07FF
           "\xE0\xA0\x80",      // U+0800
           "\xED\x9F\xBF",      // U+D7FF, below the surrogates
           "\xEE\x80\x80",      // U+E000, above them
           "\xEF\xBF\xBF",      // U+FFFF
           "\xF0\x90\x80\x80",  // U+10000
           "\xF4\x8F\xBF\xBF",  // U+10FFFF
           "\xE2\x82\xAC",      // euro sign
           "\xF0\x9F\x98\x80",  // emoji
       }) {
    EXPECT_TRUE(is_valid_utf8(text)) << testing::PrintToString(text);
  }
}

TEST(Utf8Valid, RejectsOverlongsSurrogatesAndOutOfRange) {
  for (const char* text : {
           "\xC0\x80", "\xC0\xAF", "\xC1\xBF",                          // overlong 2-byte
           "\xE0\x80\x80", "\xE0\x9F\xBF",                              // overlong 3-byte
           "\xF0\x80\x80\x80", "\xF0\x8F\xBF\xBF",                      // overlong 4-byte
           "\xED\xA0\x80", "\xED\xBF\xBF",                              // surrogates
           "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xF7\xBF\xBF\xBF",  // above U+10FFFF
           "\xF8\x88\x80\x80\x80", "\xFE", "\xFF",                      // never in UTF-8
       }) {
    EXPECT_FALSE(is_valid_utf8(text)) << testing::PrintToString(text);
  }
}

TEST(Utf8Valid, RejectsStrayAndTruncatedSequences) {
  for (const char* text : {"\x80", "\xBF",
                           "a\x80"
                           "b",
                           "\xC3", "\xE2\x82", "\xF0\x9F\x98",
                           "\xE2\x82"
                           "A",
                           "\xC3\xC3\xA9", "\xE2\x28\xA1"}) {
    EXPECT_FALSE(is_valid_utf8(text)) << testing::PrintToString(text);
  }
}

TEST(Utf8Valid, FindsOneBadByteAtAnyPositionOfALongAsciiRun) {
  // Covers every alignment relative to the word-at-a-time ASCII scan.
  for (std::size_t position = 0; position < 40; ++position) {
    std::string text(40, 'a');
    text[position] = '\x80';
    EXPECT_FALSE(is_valid_utf8(text)) << position;
    text[position] = '\xC3';
    EXPECT_FALSE(is_valid_utf8(text)) << position;
    text.replace(position, 1, "\xC3\xA9");
    EXPECT_TRUE(is_valid_utf8(text)) << position;
  }
}

TEST(Utf8Valid, AgreesWithAReferenceOnRandomInput) {
  std::mt19937 random(20261121);
  // Bytes chosen around every boundary that matters.
  const std::vector<unsigned char> alphabet = {'a',  0x00, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                               0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                               0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 12);
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    for (std::size_t n = length(random); n > 0; --n)
      text.push_back(static_cast<char>(alphabet[pick(random)]));
    ASSERT_EQ(is_valid_utf8(text), reference_valid(text)) << testing::PrintToString(text);
    const std::string fixed = repaired(text);
    ASSERT_EQ(fixed, reference_repair(text)) << testing::PrintToString(text);
    ASSERT_TRUE(is_valid_utf8(fixed)) << testing::PrintToString(text);
  }
}

TEST(Utf8Repair, LeavesValidTextUnchangedAndAppends) {
  std::string out = "prefix:";
  append_repaired_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", out);
  EXPECT_EQ(out, "prefix:caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  std::string empty;
  append_repaired_utf8("", empty);
  EXPECT_EQ(empty, "");
}

TEST(Utf8Repair, ReplacesEachMaximalSubpartWithOneReplacementCharacter) {
  struct Case {
    std::string input;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"\xE2\x82"
       "A",
       fffd + "A"},                          // truncated 3-byte: one U+FFFD
      {"\xF0\x80\x80", times(fffd, 3)},      // F0 80 can start nothing: each byte alone
      {"\xC0\xAF", times(fffd, 2)},          // C0 is never a lead
      {"\xED\xA0\x80", times(fffd, 3)},      // surrogate: ED A0 can start nothing
      {"\xF4\x90\x80\x80", times(fffd, 4)},  // above U+10FFFF
      {"\xF0\x9F\x98", fffd},                // truncated at the end
      {"\xF0\x9F\x98"
       "x",
       fffd + "x"},                             // truncated before ASCII
      {"\xF0\x9F\xC3\xA9", fffd + "\xC3\xA9"},  // truncated before another character
      {"\x80\xBF", times(fffd, 2)},             // stray continuations, one each
      {"\xFF\xFE", times(fffd, 2)},
      {"a\xC3"
       "b",
       "a" + fffd + "b"},
      // The example of Unicode's chapter 3 (U+FFFD substitution of maximal subparts).
      {"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64",
       "a" + times(fffd, 3) + "b" + fffd + "c" + times(fffd, 2) + "d"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(repaired(c.input), c.expected) << testing::PrintToString(c.input);
  }
}

TEST(Utf8Repair, RepairsInsideLongAsciiRuns) {
  const std::string ascii(100, 'z');
  EXPECT_EQ(repaired(ascii + "\xC3" + ascii), ascii + fffd + ascii);
  EXPECT_EQ(repaired(ascii + "\xED\xBF\xBF" + ascii), ascii + times(fffd, 3) + ascii);
}

TEST(Utf8CutPoint, TakesEverythingWhenItFits) {
  EXPECT_EQ(utf8_cut_point("hello", 10), 5u);
  EXPECT_EQ(utf8_cut_point("hello", 5), 5u);
  EXPECT_EQ(utf8_cut_point("h\xC3\xA9", 3), 3u);
  EXPECT_EQ(utf8_cut_point("", 10), 0u);
  EXPECT_EQ(utf8_cut_point("abc", 0), 0u);
}

TEST(Utf8CutPoint, CutsAsciiAtTheLimit) {
  EXPECT_EQ(utf8_cut_point("abcdef", 4), 4u);
}

TEST(Utf8CutPoint, NeverSplitsACharacter) {
  for (std::string character : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"}) {
    const std::string text = "ab" + character + "cd";
    for (std::size_t limit = 2; limit < 2 + character.size(); ++limit) {
      EXPECT_EQ(utf8_cut_point(text, limit), 2u) << testing::PrintToString(character) << limit;
    }
    EXPECT_EQ(utf8_cut_point(text, 2 + character.size()), 2 + character.size());
  }
}

TEST(Utf8CutPoint, KeepsAPartialCharacterOutEvenAtTheEndOfInput) {
  // The rest of the character may still be on its way.
  EXPECT_EQ(utf8_cut_point("ab\xE2\x82", 10), 2u);
}

TEST(Utf8CutPoint, AlwaysMakesProgress) {
  EXPECT_EQ(utf8_cut_point("\xF0\x9F\x98\x80", 2), 2u);
  EXPECT_EQ(utf8_cut_point("\xE2\x82\xAC", 1), 1u);
  EXPECT_EQ(utf8_cut_point("\xE2", 5), 1u);
}

TEST(Utf8CutPoint, IgnoresStrayContinuationBytes) {
  EXPECT_EQ(utf8_cut_point("a\x80\x80\x80\x80\x80", 5), 5u);
}

TEST(Utf8CutPoint, PiecesOfRepeatedCharactersStayWhole) {
  const std::string euros = times("\xE2\x82\xAC", 50);
  for (std::size_t limit = 3; limit < 20; ++limit) {
    std::string_view rest = euros;
    while (!rest.empty()) {
      const std::size_t cut = utf8_cut_point(rest, limit);
      ASSERT_GT(cut, 0u);
      ASSERT_LE(cut, limit);
      ASSERT_TRUE(is_valid_utf8(rest.substr(0, cut))) << limit;
      rest.remove_prefix(cut);
    }
  }
}

}  // namespace
}  // namespace wsexec
