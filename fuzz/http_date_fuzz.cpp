// HTTP dates: whatever a client sends as If-Modified-Since parses to an
// instant that formats back to a date meaning the same instant, and every
// instant formats without overflow.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/http_date.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years an IMF-fixdate
// can write with its four digits.
constexpr std::int64_t first_writable = -62167219200;
constexpr std::int64_t last_writable = 253402300799;

void check_round_trip(std::int64_t instant) {
  const std::string formatted = format_http_date(instant);
  FUZZ_CHECK(formatted.size() == 29);
  FUZZ_CHECK(parse_http_date(formatted) == instant);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const std::optional<std::int64_t> parsed = parse_http_date(text)) {
    // A leap second counts as the next minute's first (http_date.hpp), so
    // "Fri, 31 Dec 9999 23:59:60 GMT" is the one date that parses to an
    // instant just past what four digits can write back; harmless, since a
    // parsed date is only compared, never sent.
    FUZZ_CHECK(*parsed >= first_writable && *parsed <= last_writable + 1);
    if (*parsed <= last_writable) check_round_trip(*parsed);
    FUZZ_CHECK(not_modified_since(text, *parsed));
    FUZZ_CHECK(!not_modified_since(text, *parsed + 1));
  }

  // The first eight bytes, read as an instant: any value must format.
  if (size >= sizeof(std::int64_t)) {
    std::int64_t instant = 0;
    std::memcpy(&instant, data, sizeof instant);
    const std::string formatted = format_http_date(instant);
    FUZZ_CHECK(formatted.ends_with(" GMT"));
    if (instant >= first_writable && instant <= last_writable) check_round_trip(instant);
  }
  return 0;
}
