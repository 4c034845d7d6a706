#pragma once
// A directory the server serves from (--dir, --staticdir, --cgidir): its
// real path, fixed at start-up, and the EntryLookup the routers ask.
#include <string>

#include "core/entry_lookup.hpp"

namespace wsexec {

class ServedDirectory {
 public:
  // Resolves `path` once; throws ConfigError (exit 1) naming `option` when
  // it is not a directory we can read.
  ServedDirectory(const std::string& option, const std::string& path);

  const std::string& root() const { return root_; }

  // The lookup over the real file system. Symlinks are followed, and an
  // entry whose real path lies outside the root is escapes_root: a link
  // inside the directory cannot expose a file outside it.
  EntryLookup lookup() const;

  // The real path of an entry the lookup accepted.
  std::string absolute(const std::string& relative_path) const;

  // True when `real_path` is this directory or lies inside it.
  bool contains(const std::string& real_path) const;

 private:
  std::string root_;  // realpath, no trailing slash (except "/")
};

// The real path of `path`, or "" when it does not resolve.
std::string real_path_of(const std::string& path);

}  // namespace wsexec
