#include "core/line_framing.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "core/utf8.hpp"

// Counts heap allocations, so the tests can tell a kept buffer from a
// released one and a view from a copy. Replacing these for the whole test
// binary is harmless: they only count.
namespace {
std::atomic<long> allocation_count{0};
}  // namespace

void* operator new(std::size_t size) {
  ++allocation_count;
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace wsexec {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

std::vector<std::string> drain(LineFramer& framer) {
  std::vector<std::string> lines;
  while (auto line = framer.next_line()) lines.emplace_back(*line);
  return lines;
}

std::vector<std::string> drain_to_end(LineFramer& framer) {
  std::vector<std::string> lines;
  while (auto line = framer.finish()) lines.emplace_back(*line);
  return lines;
}

std::vector<std::string> frame_all(std::string_view input, std::size_t max_line) {
  LineFramer framer(max_line);
  framer.append(input);
  return drain_to_end(framer);
}

using Lines = std::vector<std::string>;

TEST(LineFramer, SplitsOnNewline) {
  LineFramer framer;
  framer.append("one\ntwo\n");
  EXPECT_EQ(drain(framer), (Lines{"one", "two"}));
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(LineFramer, HoldsAPartialLineUntilItsNewline) {
  LineFramer framer;
  framer.append("abc");
  EXPECT_EQ(framer.next_line(), std::nullopt);
  EXPECT_EQ(framer.buffered(), 3u);
  framer.append("def\nxy");
  EXPECT_EQ(drain(framer), (Lines{"abcdef"}));
  EXPECT_EQ(framer.buffered(), 2u);
}

TEST(LineFramer, RemovesExactlyOneTrailingCarriageReturn) {
  LineFramer framer;
  framer.append("crlf\r\ntwo\r\r\n\r\n");
  EXPECT_EQ(drain(framer), (Lines{"crlf", "two\r", ""}));
}

TEST(LineFramer, LoneCarriageReturnIsNotASeparator) {
  LineFramer framer;
  framer.append("a\rb\n\r\r\n\rc\n");
  EXPECT_EQ(drain(framer), (Lines{"a\rb", "\r", "\rc"}));
}

TEST(LineFramer, EmptyLinesAreLines) {
  LineFramer framer;
  framer.append("\n\n\r\n");
  EXPECT_EQ(drain(framer), (Lines{"", "", ""}));
}

TEST(LineFramer, CarriageReturnAndNewlineInSeparateAppends) {
  LineFramer framer;
  framer.append("text\r");
  EXPECT_EQ(framer.next_line(), std::nullopt);
  framer.append("\n");
  EXPECT_EQ(drain(framer), (Lines{"text"}));
}

// Every kind of line at once, with the lines it must give.
const std::string mixed_input =
    "one\r\ntwo\n\n\rthree\r\r\nfour \xC3\xA9\xE2\x82\xAC\nbad\xC3\n\xF0\x9F\x98\x80\r\n"
    "split\xE2\x82\xAC\xF0\x9F\x98\x80x\n\xED\xA0\x80\ntail\r";
const Lines mixed_lines = {"one",
                           "two",
                           "",
                           "\rthree\r",
                           "four \xC3\xA9\xE2\x82\xAC",
                           "bad" + fffd,
                           "\xF0\x9F\x98\x80",
                           "split\xE2\x82\xAC\xF0\x9F\x98\x80x",
                           fffd + fffd + fffd,
                           "tail"};

TEST(LineFramer, MixedInputInOneAppend) {
  EXPECT_EQ(frame_all(mixed_input, 1000), mixed_lines);
}

TEST(LineFramer, SameLinesWhateverTheAppendBoundaries) {
  for (std::size_t first = 0; first <= mixed_input.size(); ++first) {
    for (std::size_t second = first; second <= mixed_input.size(); ++second) {
      LineFramer framer;
      Lines lines;
      for (auto [begin, end] : {std::pair{std::size_t{0}, first}, std::pair{first, second},
                                std::pair{second, mixed_input.size()}}) {
        framer.append(std::string_view(mixed_input).substr(begin, end - begin));
        for (const std::string& line : drain(framer)) lines.push_back(line);
        framer.compact();
      }
      for (const std::string& line : drain_to_end(framer)) lines.push_back(line);
      ASSERT_EQ(lines, mixed_lines) << "split at " << first << " and " << second;
    }
  }
}

TEST(LineFramer, SameLinesOneByteAtATime) {
  LineFramer framer;
  Lines lines;
  for (char c : mixed_input) {
    framer.append(std::string_view(&c, 1));
    for (const std::string& line : drain(framer)) lines.push_back(line);
  }
  for (const std::string& line : drain_to_end(framer)) lines.push_back(line);
  EXPECT_EQ(lines, mixed_lines);
}

TEST(LineFramer, RepairsInvalidUtf8SplitAcrossAppends) {
  LineFramer framer;
  framer.append("x\xE2");
  framer.append("\x82");
  framer.append("\ny\xE2\x82");
  framer.append("\xAC\n");
  EXPECT_EQ(drain(framer), (Lines{"x" + fffd, "y\xE2\x82\xAC"}));
}

TEST(LineFramer, ValidLinesAreViewsIntoTheBufferNotCopies) {
  LineFramer framer;
  framer.append("first line\nsecond\n");
  const long before = allocation_count;
  const auto first = framer.next_line();
  const auto second = framer.next_line();
  const long allocations = allocation_count - before;
  ASSERT_TRUE(first && second);
  EXPECT_EQ(allocations, 0);
  // Consecutive in memory, one "\n" apart: both point into the same buffer.
  EXPECT_EQ(second->data(), first->data() + first->size() + 1);
  EXPECT_EQ(*second, "second");
}

TEST(LineFramer, RepairedLineIsFollowedByAValidView) {
  LineFramer framer;
  framer.append("\xFF\nok\n");
  EXPECT_EQ(framer.next_line(), fffd);
  EXPECT_EQ(framer.next_line(), "ok");
}

TEST(LineFramerLimit, LineOfExactlyMaxLineIsOneMessage) {
  EXPECT_EQ(frame_all("abcd\n", 4), (Lines{"abcd"}));
  EXPECT_EQ(frame_all("abcd\r\n", 4), (Lines{"abcd"}));
}

TEST(LineFramerLimit, LineOfExactlyMaxLineWaitsForWhatFollows) {
  LineFramer framer(4);
  framer.append("abcd");
  EXPECT_EQ(framer.next_line(), std::nullopt);
  framer.append("\r");
  EXPECT_EQ(framer.next_line(), std::nullopt);
  framer.append("\n");
  EXPECT_EQ(drain(framer), (Lines{"abcd"}));
  EXPECT_EQ(framer.finish(), std::nullopt);
}

TEST(LineFramerLimit, LongerLineIsCutIntoPiecesOfMaxLine) {
  EXPECT_EQ(frame_all("abcde\n", 4), (Lines{"abcd", "e"}));
  EXPECT_EQ(frame_all("abcdefghij\n", 4), (Lines{"abcd", "efgh", "ij"}));
  EXPECT_EQ(frame_all("abcdefgh\r\n", 4), (Lines{"abcd", "efgh"}));
  EXPECT_EQ(frame_all("abcd\rfgh\n", 4), (Lines{"abcd", "\rfgh"}));
}

TEST(LineFramerLimit, CutsARunWithoutNewlineAsSoonAsItExceedsMaxLine) {
  LineFramer framer(4);
  framer.append("abcdefghij");
  EXPECT_EQ(drain(framer), (Lines{"abcd", "efgh"}));
  EXPECT_EQ(framer.buffered(), 2u);
  framer.append("\n");
  EXPECT_EQ(drain(framer), (Lines{"ij"}));
}

TEST(LineFramerLimit, NeverSplitsACharacter) {
  const std::string euro = "\xE2\x82\xAC";
  EXPECT_EQ(frame_all(euro + euro + euro + euro + "\n", 4), (Lines{euro, euro, euro, euro}));
  EXPECT_EQ(frame_all("ab" + euro + "\n", 4), (Lines{"ab", euro}));
}

TEST(LineFramerLimit, ZeroMaxLineStillMakesProgress) {
  EXPECT_EQ(frame_all("ab\n", 0), (Lines{"a", "b"}));
}

TEST(LineFramerLimit, TwentyMebibyteLineWithSmallMaxLine) {
  constexpr std::size_t max_line = 1000;
  constexpr std::size_t chunk = 4096;
  // Two-byte characters at odd offsets: many cuts fall inside one.
  std::string line = "x";
  while (line.size() < (20u << 20))
    line +=
        "\xC3\xA9"
        "abc";
  LineFramer framer(max_line);
  std::string joined;
  std::size_t pieces = 0;
  std::size_t longest = 0;
  std::size_t most_buffered = 0;
  bool all_valid = true;
  auto collect = [&](std::string_view piece) {
    ++pieces;
    longest = std::max(longest, piece.size());
    all_valid = all_valid && is_valid_utf8(piece) && piece.find("\xEF\xBF\xBD") == piece.npos;
    joined += piece;
  };
  for (std::size_t offset = 0; offset < line.size(); offset += chunk) {
    framer.append(std::string_view(line).substr(offset, chunk));
    while (auto piece = framer.next_line()) collect(*piece);
    most_buffered = std::max(most_buffered, framer.buffered());
    framer.compact();
  }
  framer.append("\n");
  while (auto piece = framer.finish()) collect(*piece);
  EXPECT_EQ(joined, line);
  EXPECT_TRUE(all_valid);
  EXPECT_LE(longest, max_line);
  EXPECT_GE(pieces, line.size() / max_line);
  EXPECT_LE(most_buffered, max_line + 1);
}

TEST(LineFramerLimit, TwentyMebibyteLineWithTheDefaultLimitIsTwoMessages) {
  const std::string line(20u << 20, 'y');
  LineFramer framer;
  std::vector<std::size_t> sizes;
  for (std::size_t offset = 0; offset < line.size(); offset += 4096) {
    framer.append(std::string_view(line).substr(offset, 4096));
    while (auto piece = framer.next_line()) sizes.push_back(piece->size());
    framer.compact();
  }
  framer.append("\r\n");
  while (auto piece = framer.next_line()) sizes.push_back(piece->size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{LineFramer::default_max_line,
                                             line.size() - LineFramer::default_max_line}));
  EXPECT_EQ(framer.buffered(), 0u);
}

// A scan that restarted at the line's start on every append would take
// minutes here (and hit the test timeout); resuming where it stopped is linear.
TEST(LineFramerLimit, LongLineArrivingOneByteAtATimeIsScannedOnce) {
  LineFramer framer;
  const char byte = 'b';
  std::size_t lines = 0;
  for (std::size_t i = 0; i < (4u << 20); ++i) {
    framer.append(std::string_view(&byte, 1));
    lines += framer.next_line().has_value();
  }
  framer.append("\n");
  const auto line = framer.next_line();
  EXPECT_EQ(lines, 0u);
  ASSERT_TRUE(line);
  EXPECT_EQ(line->size(), 4u << 20);
}

TEST(LineFramerFinish, NothingBufferedGivesNothing) {
  LineFramer framer;
  EXPECT_EQ(framer.finish(), std::nullopt);
  framer.append("a\n");
  EXPECT_EQ(framer.next_line(), "a");
  EXPECT_EQ(framer.finish(), std::nullopt);
}

TEST(LineFramerFinish, ReturnsTheLastLineWithoutNewline) {
  EXPECT_EQ(frame_all("abc", 100), (Lines{"abc"}));
  EXPECT_EQ(frame_all("abc\r", 100), (Lines{"abc"}));
  EXPECT_EQ(frame_all("\r", 100), (Lines{""}));
  EXPECT_EQ(frame_all("abc\r\r", 100), (Lines{"abc\r"}));
  EXPECT_EQ(frame_all("bad\xF0\x9F", 100), (Lines{"bad" + fffd}));
}

TEST(LineFramerFinish, ReturnsCompleteLinesFirstThenTheRest) {
  LineFramer framer;
  framer.append("a\nb\nc");
  EXPECT_EQ(framer.finish(), "a");
  EXPECT_EQ(framer.finish(), "b");
  EXPECT_EQ(framer.finish(), "c");
  EXPECT_EQ(framer.finish(), std::nullopt);
  EXPECT_EQ(framer.buffered(), 0u);
}

TEST(LineFramerCompact, KeepsThePartialLine) {
  LineFramer framer;
  framer.append("abc\nde");
  EXPECT_EQ(framer.next_line(), "abc");
  EXPECT_EQ(framer.next_line(), std::nullopt);
  framer.compact();
  EXPECT_EQ(framer.buffered(), 2u);
  framer.append("f\n");
  EXPECT_EQ(drain(framer), (Lines{"def"}));
}

TEST(LineFramerCompact, ReleasesALargeDrainedBuffer) {
  LineFramer framer;
  framer.append(std::string(1 << 20, 'z') + "\n");
  EXPECT_EQ(drain(framer).size(), 1u);
  framer.compact();
  const std::string small(100, 's');
  const long before = allocation_count;
  framer.append(small);
  EXPECT_GT(allocation_count - before, 0) << "the 1 MiB buffer was kept";
}

TEST(LineFramerCompact, KeepsASmallBufferToAvoidAnAllocationPerMessage) {
  LineFramer framer;
  const std::string message(1000, 'm');
  framer.append(message + "\n");
  EXPECT_EQ(drain(framer).size(), 1u);
  framer.compact();
  const long before = allocation_count;
  for (int i = 0; i < 10; ++i) {
    framer.append(message);
    framer.append("\n");
    while (framer.next_line()) {
    }
    framer.compact();
  }
  EXPECT_EQ(allocation_count - before, 0);
}

TEST(LineFramerCompact, ReleasesALargeBufferWithOnlyAFewBytesLeft) {
  LineFramer framer;
  framer.append(std::string(1 << 20, 'z') + "\nprompt> ");
  EXPECT_EQ(drain(framer).size(), 1u);
  framer.compact();
  EXPECT_EQ(framer.buffered(), 8u);
  const long before = allocation_count;
  framer.append(std::string(100, 'x'));
  EXPECT_GT(allocation_count - before, 0) << "the 1 MiB buffer was kept";
  framer.append("\n");
  EXPECT_EQ(framer.next_line(), "prompt> " + std::string(100, 'x'));
}

TEST(LineFramerCompact, ConsumedBytesAreDroppedEvenWithoutCompact) {
  LineFramer framer;
  const std::string message(1000, 'q');
  framer.append(message + "\n");
  drain(framer);
  const std::string line = message + "\n";
  int matching = 0;
  const long before = allocation_count;
  // Without dropping consumed bytes, 100 kB of appends would outgrow the buffer.
  for (int i = 0; i < 100; ++i) {
    framer.append(line);
    matching += framer.next_line() == message;
  }
  EXPECT_EQ(allocation_count - before, 0);
  EXPECT_EQ(matching, 100);
}

}  // namespace
}  // namespace wsexec
