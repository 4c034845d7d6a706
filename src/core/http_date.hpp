#pragma once
// HTTP dates (RFC 7231 section 7.1.1.1): Last-Modified, If-Modified-Since.
// Pure arithmetic: no clock, no time zone database, no locale.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsexec {

// IMF-fixdate, always GMT: "Sun, 06 Nov 1994 08:49:37 GMT". Exact (and
// parseable back) for years 0000 to 9999; negative times count back from 1970.
std::string format_http_date(std::int64_t unix_seconds);

// IMF-fixdate, RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and asctime
// ("Sun Nov  6 08:49:37 1994"); nullopt otherwise. Pure arithmetic
// (days-from-civil), no timegm/locale.
//
// Details: names and "GMT" are case-sensitive, as the RFC says; the day name
// must be a real one but need not match the date; the day of the month must
// exist (Feb 29 only in leap years); second 60 (a leap second) is accepted and
// counts as the next minute's first. RFC 850's two-digit year is 19yy from 69
// up and 20yy below (Go's rule, so websocketd's): the RFC's "50 years from
// now" needs a clock. Spaces and tabs around the date are ignored.
std::optional<std::int64_t> parse_http_date(std::string_view text);

// RFC 7232: true when If-Modified-Since parses and last_modified (whole
// seconds) is not later than it. (Ignoring a date in the future, as RFC 7232
// 3.3 also asks, needs a clock: that check belongs to the caller.)
bool not_modified_since(std::optional<std::string_view> if_modified_since,
                        std::int64_t last_modified);

}  // namespace wsexec
