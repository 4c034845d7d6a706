#include "core/static_resolver.hpp"

#include <algorithm>

#include "core/url_path.hpp"

namespace wsexec {
namespace {

using Outcome = StaticResult::Outcome;

StaticResult outcome(Outcome value) {
  StaticResult result;
  result.outcome = value;
  return result;
}

StaticResult file(std::string relative_path) {
  StaticResult result = outcome(Outcome::file);
  result.relative_path = std::move(relative_path);
  return result;
}

bool is_file(EntryKind kind) {
  return kind == EntryKind::regular_file || kind == EntryKind::executable_file;
}

// Whether the decoded path itself says "directory": a trailing '/' or a
// trailing "." segment.
bool names_directory(std::string_view decoded) {
  return decoded.ends_with('/') || decoded == "." || decoded.ends_with("/.");
}

// Fit to be copied into a response header: no control character, no space.
bool header_safe(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

std::string join(const std::vector<std::string>& segments) {
  std::string joined;
  for (const auto& segment : segments) {
    if (!joined.empty()) joined += '/';
    joined += segment;
  }
  return joined;
}

}  // namespace

StaticResult resolve_static(std::string_view raw_path, std::string_view query,
                            const EntryLookup& lookup) {
  if (raw_path.empty() || raw_path.front() != '/') return outcome(Outcome::forbidden);
  const auto decoded = decode_url_path(raw_path);
  if (!decoded) return outcome(Outcome::forbidden);
  const auto segments = path_segments(*decoded);
  if (!segments) return outcome(Outcome::forbidden);

  std::string relative = join(*segments);
  switch (lookup(relative)) {
    case EntryKind::regular_file:
    case EntryKind::executable_file:
      if (names_directory(*decoded)) return outcome(Outcome::not_found);
      return file(std::move(relative));
    case EntryKind::directory:
      break;
    case EntryKind::escapes_root:
      return outcome(Outcome::forbidden);
    case EntryKind::missing:
    case EntryKind::other:
    default:
      return outcome(Outcome::not_found);
  }

  if (!names_directory(*decoded)) {
    if (!header_safe(raw_path) || !header_safe(query)) return outcome(Outcome::forbidden);
    StaticResult result = outcome(Outcome::redirect);
    const auto first = raw_path.find_first_not_of('/');
    result.location = "/";
    if (first != std::string_view::npos) result.location += raw_path.substr(first);
    result.location += '/';
    if (!query.empty()) {
      result.location += '?';
      result.location += query;
    }
    return result;
  }

  std::string index = relative.empty() ? "index.html" : relative + "/index.html";
  const EntryKind index_kind = lookup(index);
  if (is_file(index_kind)) return file(std::move(index));
  if (index_kind == EntryKind::escapes_root) return outcome(Outcome::forbidden);
  return outcome(Outcome::not_found);
}

}  // namespace wsexec
