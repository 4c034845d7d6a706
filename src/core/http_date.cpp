#include "core/http_date.hpp"

#include <array>
#include <cstdio>

namespace wsexec {
namespace {

constexpr std::int64_t seconds_per_day = 86400;

constexpr std::array<std::string_view, 7> short_days{"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_days{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t quotient = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient;
}

// From the remainder, not a - floor_div(a, b) * b: near the ends of int64
// that product overflows (found by fuzz/http_date_fuzz.cpp).
std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t remainder = a % b;
  return (remainder != 0 && (remainder < 0) != (b < 0)) ? remainder + b : remainder;
}

// Howard Hinnant's algorithms (proleptic Gregorian calendar, day 0 = 1970-01-01).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(year, 400);
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

Civil civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = floor_div(days, 146097);
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;  // 0 = March
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  const std::int64_t year =
      static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

bool is_leap(std::int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
  constexpr std::array<unsigned, 12> lengths{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : lengths[month - 1];
}

// A cursor over the text being parsed; every step either consumes exactly
// what it expects or fails.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (!text_.starts_with(expected)) return false;
    text_.remove_prefix(expected.size());
    return true;
  }

  // Exactly `count` digits.
  std::optional<unsigned> digits(std::size_t count) {
    if (text_.size() < count) return std::nullopt;
    unsigned value = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const char c = text_[i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    text_.remove_prefix(count);
    return value;
  }

  // One of `names`, returning its index.
  template <std::size_t N>
  std::optional<unsigned> one_of(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
      if (literal(names[i])) return static_cast<unsigned>(i);
    }
    return std::nullopt;
  }

  bool at_end() const { return text_.empty(); }

 private:
  std::string_view text_;
};

struct Fields {
  std::int64_t year = 0;
  unsigned month = 0;  // 1..12
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
};

// "HH:MM:SS"
bool read_time(Reader& reader, Fields& fields) {
  const auto hour = reader.digits(2);
  if (!hour || !reader.literal(":")) return false;
  const auto minute = reader.digits(2);
  if (!minute || !reader.literal(":")) return false;
  const auto second = reader.digits(2);
  if (!second) return false;
  fields.hour = *hour;
  fields.minute = *minute;
  fields.second = *second;
  return true;
}

bool read_month(Reader& reader, Fields& fields) {
  const auto month = reader.one_of(months);
  if (!month) return false;
  fields.month = *month + 1;
  return true;
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<Fields> parse_imf_fixdate(std::string_view text) {
  Reader reader(text);
  Fields fields;
  if (!reader.one_of(short_days) || !reader.literal(", ")) return std::nullopt;
  const auto day = reader.digits(2);
  if (!day || !reader.literal(" ") || !read_month(reader, fields) || !reader.literal(" "))
    return std::nullopt;
  const auto year = reader.digits(4);
  if (!year || !reader.literal(" ") || !read_time(reader, fields)) return std::nullopt;
  if (!reader.literal(" GMT") || !reader.at_end()) return std::nullopt;
  fields.day = *day;
  fields.year = *year;
  return fields;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<Fields> parse_rfc850(std::string_view text) {
  Reader reader(text);
  Fields fields;
  if (!reader.one_of(long_days) || !reader.literal(", ")) return std::nullopt;
  const auto day = reader.digits(2);
  if (!day || !reader.literal("-") || !read_month(reader, fields) || !reader.literal("-"))
    return std::nullopt;
  const auto year = reader.digits(2);
  if (!year || !reader.literal(" ") || !read_time(reader, fields)) return std::nullopt;
  if (!reader.literal(" GMT") || !reader.at_end()) return std::nullopt;
  fields.day = *day;
  fields.year = *year >= 69 ? 1900 + *year : 2000 + *year;
  return fields;
}

// "Sun Nov  6 08:49:37 1994" (the day as " 6" or "06")
std::optional<Fields> parse_asctime(std::string_view text) {
  Reader reader(text);
  Fields fields;
  if (!reader.one_of(short_days) || !reader.literal(" ") || !read_month(reader, fields) ||
      !reader.literal(" "))
    return std::nullopt;
  std::optional<unsigned> day;
  if (reader.literal(" ")) {
    day = reader.digits(1);
  } else {
    day = reader.digits(2);
  }
  if (!day || !reader.literal(" ") || !read_time(reader, fields) || !reader.literal(" "))
    return std::nullopt;
  const auto year = reader.digits(4);
  if (!year || !reader.at_end()) return std::nullopt;
  fields.day = *day;
  fields.year = *year;
  return fields;
}

std::optional<std::int64_t> to_unix_seconds(const Fields& fields) {
  if (fields.month < 1 || fields.month > 12) return std::nullopt;
  if (fields.day < 1 || fields.day > days_in_month(fields.year, fields.month)) return std::nullopt;
  if (fields.hour > 23 || fields.minute > 59 || fields.second > 60) return std::nullopt;
  return days_from_civil(fields.year, fields.month, fields.day) * seconds_per_day +
         fields.hour * 3600 + fields.minute * 60 + fields.second;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string format_http_date(std::int64_t unix_seconds) {
  const std::int64_t days = floor_div(unix_seconds, seconds_per_day);
  const std::int64_t second_of_day = floor_mod(unix_seconds, seconds_per_day);
  const Civil date = civil_from_days(days);
  const auto weekday = static_cast<std::size_t>(floor_mod(days + 4, 7));  // 1970-01-01: Thursday
  char buffer[64];
  const int length = std::snprintf(
      buffer, sizeof buffer, "%.3s, %02u %.3s %04lld %02d:%02d:%02d GMT",
      short_days[weekday].data(), date.day, months[date.month - 1].data(),
      static_cast<long long>(date.year), static_cast<int>(second_of_day / 3600),
      static_cast<int>(second_of_day / 60 % 60), static_cast<int>(second_of_day % 60));
  return std::string(buffer, static_cast<std::size_t>(length));
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  text = trim(text);
  std::optional<Fields> fields = parse_imf_fixdate(text);
  if (!fields) fields = parse_rfc850(text);
  if (!fields) fields = parse_asctime(text);
  if (!fields) return std::nullopt;
  return to_unix_seconds(*fields);
}

bool not_modified_since(std::optional<std::string_view> if_modified_since,
                        std::int64_t last_modified) {
  if (!if_modified_since) return false;
  const auto since = parse_http_date(*if_modified_since);
  return since && last_modified <= *since;
}

}  // namespace wsexec
