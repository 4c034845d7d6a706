#pragma once
// What the directory-router targets share: a small tree with every kind of
// entry, and the promise entry_lookup.hpp makes about the paths it is asked.
#include <string>
#include <string_view>

#include "core/entry_lookup.hpp"
#include "fake_tree.hpp"
#include "fuzz_check.hpp"

namespace wsexec {

// Names the seed corpus uses, so the fuzzer starts out reaching every kind.
inline FakeTree fuzz_tree() {
  return FakeTree({
      {"hello.sh", EntryKind::executable_file},
      {"index.html", EntryKind::regular_file},
      {"sub", EntryKind::directory},
      {"sub/a.sh", EntryKind::executable_file},
      {"sub/index.html", EntryKind::regular_file},
      {"sub/deeper", EntryKind::directory},
      {"sub/deeper/x.txt", EntryKind::regular_file},
      {"noindex", EntryKind::directory},
      {"fifo", EntryKind::other},
      {"link", EntryKind::escapes_root},
      {"a b%", EntryKind::executable_file},
  });
}

// Segments joined by '/', none empty, ".", ".." or holding a NUL or a
// backslash; "" is the root.
inline void check_lookup_contract(const std::string& relative_path) {
  if (relative_path.empty()) return;
  std::string_view rest(relative_path);
  while (true) {
    const std::size_t end = rest.find('/');
    const std::string_view segment = rest.substr(0, end);
    FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..");
    FUZZ_CHECK(segment.find('\0') == std::string_view::npos);
    FUZZ_CHECK(segment.find('\\') == std::string_view::npos);
    if (end == std::string_view::npos) return;
    rest.remove_prefix(end + 1);
  }
}

}  // namespace wsexec
