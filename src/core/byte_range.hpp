#pragma once
// Range requests (RFC 7233), one range at a time. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsexec {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

struct RangeRequest {
  enum class Kind { whole, partial, unsatisfiable };
  Kind kind = Kind::whole;
  ByteRange range;  // set only for Kind::partial
};

// For a resource of `size` bytes: "bytes=0-99", "bytes=100-" (to the end),
// "bytes=-500" (last 500; all if size < 500); a last beyond the end is
// clamped; first past the end (or size 0 with any range) -> unsatisfiable; a
// malformed header, another unit, or several ranges -> whole (ignoring is
// allowed). Whitespace tolerant. No header -> whole.
//
// Details: the unit is case-insensitive ("Bytes=0-1"); spaces and tabs are
// allowed around the value, '=' and '-'; "bytes=5-2" (last before first) and
// "bytes=-" are malformed (whole); "bytes=-0" is unsatisfiable (RFC 7233 2.1:
// only a non-zero suffix can be satisfied). Numbers too big for 64 bits are
// read as "larger than any file": as a first, unsatisfiable; as a last,
// clamped; as a suffix, the whole file.
RangeRequest interpret_range(std::optional<std::string_view> header, std::uint64_t size);

// "bytes 0-99/1234" for Content-Range, and "bytes */1234" for 416.
std::string content_range(const ByteRange& range, std::uint64_t size);
std::string unsatisfied_content_range(std::uint64_t size);

}  // namespace wsexec
