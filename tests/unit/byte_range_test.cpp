#include "core/byte_range.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace wsexec {
namespace {

using Kind = RangeRequest::Kind;

constexpr std::uint64_t max64 = std::numeric_limits<std::uint64_t>::max();

void expect_partial(std::string_view header, std::uint64_t size, std::uint64_t first,
                    std::uint64_t last) {
  const RangeRequest request = interpret_range(header, size);
  EXPECT_EQ(request.kind, Kind::partial) << "'" << header << "' size " << size;
  EXPECT_EQ(request.range.first, first) << "'" << header << "' size " << size;
  EXPECT_EQ(request.range.last, last) << "'" << header << "' size " << size;
}

void expect_kind(std::optional<std::string_view> header, std::uint64_t size, Kind kind) {
  const RangeRequest request = interpret_range(header, size);
  EXPECT_EQ(request.kind, kind) << "'" << header.value_or("<none>") << "' size " << size;
  EXPECT_EQ(request.range.first, 0u);
  EXPECT_EQ(request.range.last, 0u);
}

TEST(ByteRange, NoHeaderIsWhole) {
  expect_kind(std::nullopt, 1234, Kind::whole);
  expect_kind(std::nullopt, 0, Kind::whole);
}

TEST(ByteRange, FirstAndLast) {
  expect_partial("bytes=0-99", 1234, 0, 99);
  expect_partial("bytes=100-199", 1234, 100, 199);
  expect_partial("bytes=5-5", 10, 5, 5);
  expect_partial("bytes=0-0", 1, 0, 0);
}

TEST(ByteRange, OpenEndedToTheEnd) {
  expect_partial("bytes=100-", 1234, 100, 1233);
  expect_partial("bytes=0-", 1234, 0, 1233);
  expect_partial("bytes=1233-", 1234, 1233, 1233);
  expect_partial("bytes=0-", 1, 0, 0);
}

TEST(ByteRange, Suffix) {
  expect_partial("bytes=-500", 1234, 734, 1233);
  expect_partial("bytes=-1", 1234, 1233, 1233);
  expect_partial("bytes=-1234", 1234, 0, 1233);
}

TEST(ByteRange, SuffixLargerThanTheResourceIsAllOfIt) {
  expect_partial("bytes=-500", 100, 0, 99);
  expect_partial("bytes=-1235", 1234, 0, 1233);
  expect_partial("bytes=-5", 1, 0, 0);
}

TEST(ByteRange, LastBeyondTheEndIsClamped) {
  expect_partial("bytes=0-99999", 1234, 0, 1233);
  expect_partial("bytes=1000-1234", 1234, 1000, 1233);
  expect_partial("bytes=0-1", 1, 0, 0);
}

TEST(ByteRange, TheLastByte) {
  expect_partial("bytes=1233-1233", 1234, 1233, 1233);
  expect_partial("bytes=1233-9999", 1234, 1233, 1233);
  expect_partial("bytes=-1", 1, 0, 0);
}

TEST(ByteRange, FirstPastTheEndIsUnsatisfiable) {
  expect_kind("bytes=1234-", 1234, Kind::unsatisfiable);
  expect_kind("bytes=1234-1300", 1234, Kind::unsatisfiable);
  expect_kind("bytes=5000-6000", 1234, Kind::unsatisfiable);
  expect_kind("bytes=1-", 1, Kind::unsatisfiable);
  expect_kind("bytes=1-1", 1, Kind::unsatisfiable);
}

TEST(ByteRange, EveryRangeOfAnEmptyResourceIsUnsatisfiable) {
  expect_kind("bytes=0-", 0, Kind::unsatisfiable);
  expect_kind("bytes=0-0", 0, Kind::unsatisfiable);
  expect_kind("bytes=0-99", 0, Kind::unsatisfiable);
  expect_kind("bytes=-1", 0, Kind::unsatisfiable);
  expect_kind("bytes=-500", 0, Kind::unsatisfiable);
}

TEST(ByteRange, ZeroSuffixIsUnsatisfiable) {
  expect_kind("bytes=-0", 1234, Kind::unsatisfiable);
  expect_kind("bytes=-000", 1234, Kind::unsatisfiable);
}

TEST(ByteRange, LastBeforeFirstIsMalformed) {
  expect_kind("bytes=5-2", 1234, Kind::whole);
  expect_kind("bytes=1-0", 1234, Kind::whole);
  expect_kind("bytes=5000-2", 1234, Kind::whole);
}

TEST(ByteRange, SeveralRangesAreIgnored) {
  expect_kind("bytes=0-1,5-6", 1234, Kind::whole);
  expect_kind("bytes=0-99, 200-299", 1234, Kind::whole);
  expect_kind("bytes=-5,0-1", 1234, Kind::whole);
  expect_kind("bytes=0-1,", 1234, Kind::whole);
  expect_kind("bytes=,0-1", 1234, Kind::whole);
}

TEST(ByteRange, OtherUnitsAreIgnored) {
  expect_kind("items=0-1", 1234, Kind::whole);
  expect_kind("byte=0-1", 1234, Kind::whole);
  expect_kind("bytesx=0-1", 1234, Kind::whole);
  expect_kind("=0-1", 1234, Kind::whole);
  expect_kind("none", 1234, Kind::whole);
}

TEST(ByteRange, UnitIsCaseInsensitive) {
  expect_partial("Bytes=0-9", 1234, 0, 9);
  expect_partial("BYTES=-4", 1234, 1230, 1233);
}

TEST(ByteRange, MalformedIsWhole) {
  for (const char* header : {"",
                             " ",
                             "bytes",
                             "bytes=",
                             "bytes=-",
                             "bytes= - ",
                             "bytes=a-b",
                             "bytes=1-b",
                             "bytes=a-1",
                             "bytes=1",
                             "bytes=0x10-0x20",
                             "bytes=+1-2",
                             "bytes=-+5",
                             "bytes=1-2-3",
                             "bytes=--5",
                             "bytes=-5-",
                             "bytes=1.5-2",
                             "bytes=1 2-3",
                             "bytes=0-99 junk",
                             "bytes 0-99",
                             "0-99",
                             "bytes:0-99"}) {
    expect_kind(header, 1234, Kind::whole);
  }
}

TEST(ByteRange, MalformedStaysWholeEvenForAnEmptyResource) {
  expect_kind("bytes=5-2", 0, Kind::whole);
  expect_kind("items=0-1", 0, Kind::whole);
  expect_kind("bytes=0-1,2-3", 0, Kind::whole);
}

TEST(ByteRange, WhitespaceTolerant) {
  expect_partial(" bytes=0-99 ", 1234, 0, 99);
  expect_partial("bytes = 0 - 99", 1234, 0, 99);
  expect_partial("\tbytes=\t100-\t", 1234, 100, 1233);
  expect_partial("bytes= -500", 1234, 734, 1233);
  expect_partial("bytes=- 500", 1234, 734, 1233);
}

TEST(ByteRange, LeadingZerosAreNumbers) {
  expect_partial("bytes=007-010", 1234, 7, 10);
}

TEST(ByteRange, HugeNumbers) {
  // Past 64 bits: a first beyond any file, a last clamped, a suffix of everything.
  expect_kind("bytes=99999999999999999999999-", 1234, Kind::unsatisfiable);
  expect_partial("bytes=5-99999999999999999999999", 1234, 5, 1233);
  expect_partial("bytes=-99999999999999999999999", 1234, 0, 1233);
  expect_partial("bytes=0-18446744073709551615", 1234, 0, 1233);
  expect_partial("bytes=18446744073709551614-", max64, max64 - 1, max64 - 1);
  expect_partial("bytes=-2", max64, max64 - 2, max64 - 1);
  expect_kind("bytes=18446744073709551615-", max64, Kind::unsatisfiable);
}

TEST(ByteRange, LargeFiles) {
  const std::uint64_t size = 5'000'000'000ULL;  // over 4 GiB
  expect_partial("bytes=4294967296-", size, 4294967296ULL, size - 1);
  expect_partial("bytes=-1000000000", size, 4'000'000'000ULL, size - 1);
}

TEST(ContentRange, Partial) {
  EXPECT_EQ(content_range({0, 99}, 1234), "bytes 0-99/1234");
  EXPECT_EQ(content_range({1233, 1233}, 1234), "bytes 1233-1233/1234");
  EXPECT_EQ(content_range({0, 0}, 1), "bytes 0-0/1");
  EXPECT_EQ(content_range({0, max64 - 1}, max64),
            "bytes 0-18446744073709551614/18446744073709551615");
}

TEST(ContentRange, FromAnInterpretedRange) {
  const RangeRequest request = interpret_range("bytes=-500", 1234);
  ASSERT_EQ(request.kind, Kind::partial);
  EXPECT_EQ(content_range(request.range, 1234), "bytes 734-1233/1234");
}

TEST(ContentRange, Unsatisfied) {
  EXPECT_EQ(unsatisfied_content_range(1234), "bytes */1234");
  EXPECT_EQ(unsatisfied_content_range(0), "bytes */0");
}

}  // namespace
}  // namespace wsexec
