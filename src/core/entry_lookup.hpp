#pragma once
// How the routers see a served directory: one question, "what is at this
// path?", asked through a function so the routing rules stay pure and the
// tests can answer from an in-memory tree.
#include <functional>
#include <string>

namespace wsexec {

enum class EntryKind {
  missing,          // nothing there (or not reachable: a component is not a directory)
  directory,        //
  executable_file,  // a regular file with an execute bit for us
  regular_file,     // a regular file we may read but not run
  other,            // a socket, FIFO, device...: never served, never run
  escapes_root,     // after resolving symlinks, the entry lies outside the root
};

// Looks a path up relative to a served root ("" is the root itself, "a/b.sh"
// a file two levels down). Paths given are made of decoded segments joined by
// '/', none empty, ".", ".." or containing a NUL or backslash. The real
// implementation (in the I/O layer) resolves symlinks and answers
// escapes_root when the result lies outside the root.
using EntryLookup = std::function<EntryKind(const std::string& relative_path)>;

}  // namespace wsexec
