#pragma once
// --dir: which executable under DIR a URL path names. Pure: the file system is
// consulted only through an EntryLookup.
#include <string>
#include <string_view>

#include "core/entry_lookup.hpp"

namespace wsexec {

struct ScriptRoute {
  std::string relative_path;  // under DIR: "sub/hello.sh"
  std::string script_name;    // SCRIPT_NAME, decoded: "/sub/hello.sh"
  std::string path_info;      // PATH_INFO, decoded: "/extra/x", or "" when nothing follows
};

struct RouteResult {
  enum class Outcome { script, not_found, forbidden };
  Outcome outcome = Outcome::not_found;
  ScriptRoute route;  // set only for Outcome::script
};

// Walks the (raw, undecoded) URL path under the --dir root, one segment at a
// time: directories continue the walk; the first executable_file is the
// script (relative_path "sub/hello.sh", script_name "/sub/hello.sh",
// path_info = the decoded rest "/extra/x" or ""); a regular non-executable
// file, 'other', missing, or a path ending at a directory (the root included)
// -> not_found; an undecodable path, a ".." segment anywhere (even after the
// script), a path not starting with '/', or escapes_root -> forbidden.
//
// Empty and "." segments are skipped while walking, so "//sub/./a.sh" is
// "sub/a.sh" with script_name "/sub/a.sh". path_info is the decoded rest of
// the path exactly as sent from the '/' that follows the script's segment
// ("/hello.sh/x/" -> "/x/", "/hello.sh/" -> "/", as websocketd does).
RouteResult route_to_script(std::string_view raw_path, const EntryLookup& lookup);

}  // namespace wsexec
