#pragma once
// --staticdir: which file under DIR a URL path names. Pure: the file system is
// consulted only through an EntryLookup.
#include <string>
#include <string_view>

#include "core/entry_lookup.hpp"

namespace wsexec {

struct StaticResult {
  enum class Outcome { file, redirect, not_found, forbidden };
  Outcome outcome = Outcome::not_found;
  std::string relative_path;  // Outcome::file: under DIR ("" never; "index.html" for the root)
  std::string location;       // Outcome::redirect: the Location header value
};

// A file (regular or executable) is served as is; a directory through its
// index.html (if that is a file; else not_found); a directory URL without a
// trailing slash -> redirect to the same raw path + "/" (+ "?" + query when
// the query is not empty) so relative links in index.html work; undecodable,
// ".." or escapes_root -> forbidden; missing/other -> not_found.
//
// Details:
// - One lookup for the whole path (plus one for index.html): the real lookup
//   resolves it as a whole, symlinks included.
// - A path ending in '/' (or "/.") names a directory: a file there
//   ("/a.txt/") is not_found, as open("a.txt/") fails.
// - The redirect's leading run of slashes is collapsed to one, so "//host"
//   can never become a protocol-relative Location pointing at another site.
//   A raw path or query holding a control character or a space (never valid
//   in a request target) is forbidden rather than echoed into a header.
// - A path not starting with '/' is forbidden.
StaticResult resolve_static(std::string_view raw_path, std::string_view query,
                            const EntryLookup& lookup);

}  // namespace wsexec
