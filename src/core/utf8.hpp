#pragma once
// UTF-8 validation and repair for text messages we send. A browser fails the
// whole connection on one invalid text frame (RFC 6455 section 8.1), so every
// line a child prints is made valid before it leaves: each ill-formed
// subsequence becomes U+FFFD, following Unicode's "maximal subpart" practice
// (the same substitution the WHATWG decoder makes).
#include <string>
#include <string_view>

namespace wsexec {

// True when `bytes` is well-formed UTF-8 (no overlongs, no surrogates,
// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Appends `bytes` to `out`, each ill-formed subsequence replaced by U+FFFD
// (EF BF BD).
void append_repaired_utf8(std::string_view bytes, std::string& out);

// Length of the longest prefix of `bytes` (at most `limit`) that does not
// end inside a multi-byte sequence; used to cut an over-long line without
// splitting a character. Never returns 0 when `limit` > 0 and `bytes` is not
// empty, so a caller always makes progress.
std::size_t utf8_cut_point(std::string_view bytes, std::size_t limit);

}  // namespace wsexec
