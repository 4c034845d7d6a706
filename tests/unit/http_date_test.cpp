#include "core/http_date.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <limits>
#include <random>
#include <string>

namespace wsexec {
namespace {

constexpr std::int64_t rfc_example = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::int64_t year_1_start = -62135596800;
constexpr std::int64_t year_9999_end = 253402300799;

TEST(FormatHttpDate, KnownInstants) {
  EXPECT_EQ(format_http_date(rfc_example), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(format_http_date(2147483648), "Tue, 19 Jan 2038 03:14:08 GMT");
  EXPECT_EQ(format_http_date(-2203891200), "Thu, 01 Mar 1900 00:00:00 GMT");
  EXPECT_EQ(format_http_date(year_9999_end), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(format_http_date(year_1_start), "Mon, 01 Jan 0001 00:00:00 GMT");
  EXPECT_EQ(format_http_date(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");
}

// The fuzzer found signed overflow (undefined behaviour) at the ends of the
// range; the sanitizer build is what sees it, these values pin the results.
TEST(FormatHttpDate, ExtremeInstantsAreFormattedWithoutOverflow) {
  constexpr auto earliest = std::numeric_limits<std::int64_t>::min();
  constexpr auto latest = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(format_http_date(earliest), "Sun, 27 Jan -292277022657 08:29:52 GMT");
  EXPECT_EQ(format_http_date(earliest + 1), "Sun, 27 Jan -292277022657 08:29:53 GMT");
  EXPECT_EQ(format_http_date(latest), "Sun, 04 Dec 292277026596 15:30:07 GMT");
}

TEST(FormatHttpDate, LeapDays) {
  EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");           // 400 rule
  EXPECT_EQ(format_http_date(1709251199), "Thu, 29 Feb 2024 23:59:59 GMT");          // 4 rule
  EXPECT_EQ(format_http_date(1709251200), "Fri, 01 Mar 2024 00:00:00 GMT");          //
  EXPECT_EQ(format_http_date(-11670955200), "Tue, 29 Feb 1600 12:00:00 GMT");        //
  EXPECT_EQ(format_http_date(4107542400 - 86400), "Sun, 28 Feb 2100 00:00:00 GMT");  // 100 rule
}

TEST(FormatHttpDate, FixedWidth) {
  for (std::int64_t t = 0; t < 400LL * 86400 * 366; t += 86400 * 37 + 3607) {
    EXPECT_EQ(format_http_date(t).size(), 29u) << t;
  }
}

TEST(FormatHttpDate, AgreesWithGmtime) {
  std::mt19937_64 random(12345);
  std::uniform_int_distribution<std::int64_t> instants(year_1_start + 86400, year_9999_end);
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t t = instants(random);
    const auto as_time_t = static_cast<std::time_t>(t);
    std::tm broken{};
    ASSERT_NE(gmtime_r(&as_time_t, &broken), nullptr);
    char expected[64];
    std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &broken);
    // glibc's %Y does not pad years below 1000 to four digits.
    if (broken.tm_year + 1900 < 1000) continue;
    EXPECT_EQ(format_http_date(t), expected) << t;
  }
}

TEST(ParseHttpDate, TheThreeFormatsOfTheRfc) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), rfc_example);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), rfc_example);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), rfc_example);
}

TEST(ParseHttpDate, AsctimeWithATwoDigitDay) {
  EXPECT_EQ(parse_http_date("Sun Nov 06 08:49:37 1994"), rfc_example);
  EXPECT_EQ(parse_http_date("Wed Nov 16 08:49:37 1994"), rfc_example + 10 * 86400);
  EXPECT_EQ(parse_http_date("Thu Jan  1 00:00:00 1970"), 0);
}

TEST(ParseHttpDate, Rfc850TwoDigitYears) {
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
  EXPECT_EQ(parse_http_date("Saturday, 01-Jan-00 00:00:00 GMT"), 946684800);  // 2000
  EXPECT_EQ(parse_http_date("Sunday, 01-Jun-69 00:00:00 GMT"), -18489600);    // 1969
  EXPECT_EQ(parse_http_date("Friday, 01-Jun-68 00:00:00 GMT"), 3105734400);   // 2068
  EXPECT_EQ(parse_http_date("Tuesday, 29-Feb-00 00:00:00 GMT"), 951782400);
}

TEST(ParseHttpDate, Epoch) {
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
  EXPECT_EQ(parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT"), -1);
}

TEST(ParseHttpDate, EveryMonthName) {
  const char* names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::int64_t firsts[] = {1704067200, 1706745600, 1709251200, 1711929600,
                                 1714521600, 1717200000, 1719792000, 1722470400,
                                 1725148800, 1727740800, 1730419200, 1733011200};
  for (int month = 0; month < 12; ++month) {
    const std::string text = std::string("Mon, 01 ") + names[month] + " 2024 00:00:00 GMT";
    EXPECT_EQ(parse_http_date(text), firsts[month]) << text;
    EXPECT_EQ(format_http_date(firsts[month]).substr(8, 3), names[month]);
  }
}

TEST(ParseHttpDate, DayNameNeedNotMatchTheDate) {
  // Real, but wrong for the date: accepted, as Go's parser does.
  EXPECT_EQ(parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"), rfc_example);
  EXPECT_EQ(parse_http_date("Monday, 06-Nov-94 08:49:37 GMT"), rfc_example);
}

TEST(ParseHttpDate, LeapYears) {
  EXPECT_EQ(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 23:59:59 GMT"), 1709251199);
  EXPECT_EQ(parse_http_date("Tue, 29 Feb 1600 12:00:00 GMT"), -11670955200);
  EXPECT_EQ(parse_http_date("Thu Feb 29 23:59:59 2024"), 1709251199);
  // Not leap years: 1900 and 2100 (divisible by 100, not 400), 2023.
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 1900 00:00:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("Mon, 29 Feb 2100 00:00:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("Wed Feb 29 00:00:00 2023"), std::nullopt);
  EXPECT_EQ(parse_http_date("Thursday, 29-Feb-01 00:00:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_http_date("Mon, 30 Feb 2024 00:00:00 GMT"), std::nullopt);
}

TEST(ParseHttpDate, DaysPerMonth) {
  EXPECT_TRUE(parse_http_date("Wed, 31 Jan 2024 00:00:00 GMT"));
  EXPECT_TRUE(parse_http_date("Sun, 31 Mar 2024 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 31 Apr 2024 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 31 Jun 2024 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 31 Sep 2024 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Wed, 31 Nov 2024 00:00:00 GMT"));
  EXPECT_TRUE(parse_http_date("Tue, 31 Dec 2024 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Tue, 32 Dec 2024 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Tue, 00 Dec 2024 00:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Tue Dec  0 00:00:00 2024"));
}

TEST(ParseHttpDate, TimeOfDayLimits) {
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 23:59:59 GMT"), 86399);
  EXPECT_FALSE(parse_http_date("Thu, 01 Jan 1970 24:00:00 GMT"));
  EXPECT_FALSE(parse_http_date("Thu, 01 Jan 1970 00:60:00 GMT"));
  EXPECT_FALSE(parse_http_date("Thu, 01 Jan 1970 00:00:61 GMT"));
  EXPECT_FALSE(parse_http_date("Thu, 01 Jan 1970 99:99:99 GMT"));
}

TEST(ParseHttpDate, LeapSecondCountsAsTheNextMinute) {
  EXPECT_EQ(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"), 1483228800);
  EXPECT_EQ(format_http_date(1483228800), "Sun, 01 Jan 2017 00:00:00 GMT");
}

TEST(ParseHttpDate, SurroundingWhitespaceIgnored) {
  EXPECT_EQ(parse_http_date("  Sun, 06 Nov 1994 08:49:37 GMT\t"), rfc_example);
  EXPECT_EQ(parse_http_date(" Sun Nov  6 08:49:37 1994 "), rfc_example);
}

TEST(ParseHttpDate, InvalidInputs) {
  for (const char* text : {
           "",
           " ",
           "garbage",
           "0",
           "784111777",
           "Sun, 06 Nov 1994 08:49:37",           // no zone
           "Sun, 06 Nov 1994 08:49:37 UTC",       // not GMT
           "Sun, 06 Nov 1994 08:49:37 +0000",     // numeric zone
           "Sun, 06 Nov 1994 08:49:37 GMT junk",  // trailing junk
           "Sun, 06 Nov 1994 08:49:37 gmt",       // case-sensitive
           "sun, 06 Nov 1994 08:49:37 GMT",       //
           "Sun, 06 nov 1994 08:49:37 GMT",       //
           "Sun, 6 Nov 1994 08:49:37 GMT",        // one-digit day
           "Sun, 06 Nov 94 08:49:37 GMT",         // two-digit year in IMF-fixdate
           "Sun, 06 Nov 1994 8:49:37 GMT",        // one-digit hour
           "Sun, 06 Nov 1994 08:49 GMT",          // no seconds
           "Sun, 06 Nov 1994 08-49-37 GMT",       //
           "Sun 06 Nov 1994 08:49:37 GMT",        // no comma
           "Sun,  06 Nov 1994 08:49:37 GMT",      // two spaces
           "Xyz, 06 Nov 1994 08:49:37 GMT",       // no such day
           "Sun, 06 Foo 1994 08:49:37 GMT",       // no such month
           "Sun, 06 Nov 1994 08:49:37 GMT\r\n",   // CR/LF are not whitespace here
           "Sunday, 06 Nov 1994 08:49:37 GMT",    // long name, IMF layout
           "Sun, 06-Nov-94 08:49:37 GMT",         // short name, RFC 850 layout
           "Sunday, 06-Nov-1994 08:49:37 GMT",    // four-digit year in RFC 850
           "Sunday, 06-Nov-94 08:49:37",          //
           "Sunday, 6-Nov-94 08:49:37 GMT",       //
           "Sun Nov 6 08:49:37 1994",             // asctime day needs two columns
           "Sun Nov  6 08:49:37 94",              //
           "Sun Nov  6 08:49:37 1994 GMT",        //
           "Sun Nov   6 08:49:37 1994",           //
           "Sunday Nov  6 08:49:37 1994",         //
           "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
           "Sun, 0a Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 199x 08:49:37 GMT",
           "Sun, 06 Nov -994 08:49:37 GMT",
       }) {
    EXPECT_EQ(parse_http_date(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(HttpDate, YearsPastFourDigitsAreFormattedButNotParsed) {
  EXPECT_EQ(format_http_date(year_9999_end + 1), "Sat, 01 Jan 10000 00:00:00 GMT");
  EXPECT_EQ(parse_http_date(format_http_date(year_9999_end + 1)), std::nullopt);
}

TEST(ParseHttpDate, NulInsideIsRefused) {
  EXPECT_EQ(parse_http_date(std::string_view("Sun, 06 Nov 1994 08:49:37 GMT\0", 30)), std::nullopt);
}

TEST(HttpDate, RoundTripsOverTheWholeRange) {
  std::mt19937_64 random(20261121);
  std::uniform_int_distribution<std::int64_t> instants(year_1_start, year_9999_end);
  for (int i = 0; i < 100000; ++i) {
    const std::int64_t t = instants(random);
    EXPECT_EQ(parse_http_date(format_http_date(t)), t) << t << " " << format_http_date(t);
  }
}

TEST(HttpDate, RoundTripsAroundInterestingInstants) {
  for (const std::int64_t centre :
       {std::int64_t{0}, rfc_example, std::int64_t{951782400}, std::int64_t{2147483647},
        std::int64_t{4107542400}, std::int64_t{-2203891200}, year_1_start + 86400,
        year_9999_end - 86400 * 2}) {
    for (std::int64_t t = centre - 86400 * 2; t <= centre + 86400 * 2; t += 61) {
      ASSERT_EQ(parse_http_date(format_http_date(t)), t) << t;
    }
  }
}

TEST(HttpDate, RoundTripsEveryDayOfFourHundredYears) {
  // One Gregorian cycle covers every calendar rule, every weekday and month length.
  const std::int64_t start = 946684800;  // 2000-01-01
  for (std::int64_t day = 0; day < 146097; ++day) {
    const std::int64_t t = start + day * 86400 + (day * 7919) % 86400;
    ASSERT_EQ(parse_http_date(format_http_date(t)), t) << t;
  }
}

TEST(HttpDate, AllThreeFormatsOfOneInstantAgree) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::int64_t> instants(-2208988800, 3155673599);  // 1900..2069
  for (int i = 0; i < 5000; ++i) {
    const std::int64_t t = instants(random);
    const auto as_time_t = static_cast<std::time_t>(t);
    std::tm broken{};
    ASSERT_NE(gmtime_r(&as_time_t, &broken), nullptr);
    char rfc850[64];
    char asctime[64];
    std::strftime(rfc850, sizeof rfc850, "%A, %d-%b-%y %H:%M:%S GMT", &broken);
    std::strftime(asctime, sizeof asctime, "%a %b %e %H:%M:%S %Y", &broken);
    EXPECT_EQ(parse_http_date(asctime), t) << asctime;
    // A two-digit year reads as 1969..2068.
    const int year = broken.tm_year + 1900;
    if (year >= 1969 && year <= 2068) {
      EXPECT_EQ(parse_http_date(rfc850), t) << rfc850;
    }
  }
}

TEST(NotModifiedSince, NoHeader) {
  EXPECT_FALSE(not_modified_since(std::nullopt, 0));
  EXPECT_FALSE(not_modified_since(std::nullopt, rfc_example));
}

TEST(NotModifiedSince, UnparseableHeaderIsIgnored) {
  EXPECT_FALSE(not_modified_since("yesterday", 0));
  EXPECT_FALSE(not_modified_since("", 0));
  EXPECT_FALSE(not_modified_since("Sun, 06 Nov 1994 08:49:37 UTC", 0));
}

TEST(NotModifiedSince, SameSecondIsNotModified) {
  EXPECT_TRUE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example));
}

TEST(NotModifiedSince, OlderIsNotModified) {
  EXPECT_TRUE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example - 1));
  EXPECT_TRUE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", 0));
  EXPECT_TRUE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", -86400));
}

TEST(NotModifiedSince, NewerIsModified) {
  EXPECT_FALSE(not_modified_since("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example + 1));
  EXPECT_FALSE(not_modified_since("Thu, 01 Jan 1970 00:00:00 GMT", 1));
}

TEST(NotModifiedSince, EveryFormatIsUnderstood) {
  EXPECT_TRUE(not_modified_since("Sunday, 06-Nov-94 08:49:37 GMT", rfc_example));
  EXPECT_TRUE(not_modified_since("Sun Nov  6 08:49:37 1994", rfc_example));
  EXPECT_FALSE(not_modified_since("Sun Nov  6 08:49:37 1994", rfc_example + 1));
}

TEST(NotModifiedSince, AgreesWithTheFormattedLastModified) {
  // What a browser sends back is the Last-Modified it was given.
  for (const std::int64_t t : {std::int64_t{0}, rfc_example, std::int64_t{1709251199}}) {
    EXPECT_TRUE(not_modified_since(format_http_date(t), t));
    EXPECT_FALSE(not_modified_since(format_http_date(t), t + 1));
  }
}

}  // namespace
}  // namespace wsexec
