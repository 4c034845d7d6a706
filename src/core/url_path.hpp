#pragma once
// The path part of a request target, taken apart safely. Pure.
//
// The routers (dir_router, static_resolver) decode a path once, refuse what
// could reach outside a served directory, and only then look anything up.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsexec {

// "/a/b?x=1" -> {"/a/b", "x=1"}; no '?' -> query "". Splits at the first '?';
// the query is returned as sent (not decoded).
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

// An absolute-form target ("http://host:8080/a?b", RFC 9112 section 3.2.2,
// which a server must accept) -> {"host:8080", "/a?b"}; the origin form is
// "/" when the URL has no path. nullopt for any other target.
std::optional<std::pair<std::string, std::string>> split_absolute_form(std::string_view target);

// Percent-decodes a URL path. nullopt for a malformed escape ("%4", "%zz") or
// an escape decoding to NUL or '/' (an encoded slash must not change how the
// path splits). '+' stays '+' (it means a space only in a query).
std::optional<std::string> decode_url_path(std::string_view raw_path);

// Segments of a decoded path: empty and "." segments dropped; nullopt if any
// segment is ".." (refused, never resolved, so nothing can climb out of a
// served directory), or contains a NUL or a backslash.
// "/a//./b/" -> {"a", "b"}; "/" -> {}.
std::optional<std::vector<std::string>> path_segments(std::string_view decoded_path);

struct DotSegmentResult {
  enum class Outcome {
    unchanged,  // no ".." segment (or a path the routers refuse anyway)
    resolved,   // `path` is where the ".." segments lead, inside the root
    escapes,    // a ".." climbs above the root
  };
  Outcome outcome = Outcome::unchanged;
  std::string path;  // resolved: "/" + raw segments; a trailing '/' is kept
};

// Resolves the ".." segments (also when percent-encoded, "%2e%2e") of a raw
// URL path lexically, the way Go's path.Clean does for websocketd's router:
// "/sub/../a.sh" -> resolved "/a.sh", "/../a.sh" -> escapes. Empty and "."
// segments are dropped only when a ".." is present, and the segments kept
// stay as sent (still percent-encoded), so the result is fit for a Location
// header. A path with an undecodable segment, or a character never valid in
// a request target (a control character or a space), is left unchanged for
// the routers to refuse.
DotSegmentResult resolve_dot_segments(std::string_view raw_path);

}  // namespace wsexec
