#pragma once
// An in-memory directory tree for the unit tests of the --dir and
// --staticdir resolvers: both look entries up through an EntryLookup.
#include <map>
#include <string>
#include <vector>

#include "core/entry_lookup.hpp"

namespace wsexec {

// An in-memory tree. What is not listed is missing; below a file
// nothing exists (ENOTDIR); below an entry that escapes the root everything
// escapes too, as the real lookup sees after resolving the symlink. Every
// path asked about is recorded.
class FakeTree {
 public:
  explicit FakeTree(std::map<std::string, EntryKind> entries) : entries_(std::move(entries)) {}

  EntryLookup lookup() {
    return [this](const std::string& relative_path) { return find(relative_path); };
  }
  const std::vector<std::string>& asked() const { return asked_; }

 private:
  EntryKind find(const std::string& relative_path) {
    asked_.push_back(relative_path);
    if (relative_path.empty()) return EntryKind::directory;
    std::size_t end = 0;
    while (true) {
      end = relative_path.find('/', end);
      const std::string prefix = relative_path.substr(0, end);
      const auto found = entries_.find(prefix);
      const EntryKind kind = found == entries_.end() ? EntryKind::missing : found->second;
      if (end == std::string::npos || kind == EntryKind::escapes_root) return kind;
      if (kind != EntryKind::directory) return EntryKind::missing;
      ++end;
    }
  }

  std::map<std::string, EntryKind> entries_;
  std::vector<std::string> asked_;
};

}  // namespace wsexec
