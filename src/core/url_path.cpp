#include "core/url_path.hpp"

#include <cctype>

namespace wsexec {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {target, std::string_view{}};
  return {target.substr(0, question), target.substr(question + 1)};
}

std::optional<std::string> decode_url_path(std::string_view raw_path) {
  std::string decoded;
  decoded.reserve(raw_path.size());
  for (std::size_t i = 0; i < raw_path.size(); ++i) {
    const char c = raw_path[i];
    if (c != '%') {
      decoded += c;
      continue;
    }
    if (raw_path.size() - i < 3) return std::nullopt;  // fewer than two digits follow
    const int high = hex_value(raw_path[i + 1]);
    const int low = hex_value(raw_path[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const char byte = static_cast<char>(high * 16 + low);
    if (byte == '\0' || byte == '/') return std::nullopt;
    decoded += byte;
    i += 2;
  }
  return decoded;
}

std::optional<std::vector<std::string>> path_segments(std::string_view decoded_path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= decoded_path.size()) {
    auto end = decoded_path.find('/', start);
    if (end == std::string_view::npos) end = decoded_path.size();
    const std::string_view segment = decoded_path.substr(start, end - start);
    start = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") return std::nullopt;
    if (segment.find('\0') != std::string_view::npos) return std::nullopt;
    if (segment.find('\\') != std::string_view::npos) return std::nullopt;
    segments.emplace_back(segment);
  }
  return segments;
}

DotSegmentResult resolve_dot_segments(std::string_view raw_path) {
  using Outcome = DotSegmentResult::Outcome;
  if (raw_path.empty() || raw_path.front() != '/') return {};
  for (const char c : raw_path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return {};
  }
  std::vector<std::string_view> kept;
  bool has_dot_dot = false;
  std::size_t start = 1;
  while (start <= raw_path.size()) {
    auto end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    const std::string_view raw_segment = raw_path.substr(start, end - start);
    start = end + 1;
    const auto segment = decode_url_path(raw_segment);
    if (!segment) return {};
    if (segment->empty() || *segment == ".") continue;
    if (*segment != "..") {
      kept.push_back(raw_segment);
      continue;
    }
    has_dot_dot = true;
    if (kept.empty()) return {Outcome::escapes, {}};
    kept.pop_back();
  }
  if (!has_dot_dot) return {};
  DotSegmentResult result{Outcome::resolved, {}};
  for (const std::string_view segment : kept) {
    result.path += '/';
    result.path += segment;
  }
  if (result.path.empty() || raw_path.ends_with('/')) result.path += '/';
  return result;
}

std::optional<std::pair<std::string, std::string>> split_absolute_form(std::string_view target) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() < scheme.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      same = same && std::tolower(static_cast<unsigned char>(target[i])) == scheme[i];
    }
    if (!same) continue;
    const std::string_view rest = target.substr(scheme.size());
    const auto path_start = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, path_start);
    if (authority.empty()) return std::nullopt;
    std::string origin_form(path_start == std::string_view::npos ? "" : rest.substr(path_start));
    if (origin_form.empty() || origin_form[0] == '?') origin_form.insert(0, "/");
    return std::pair{std::string(authority), std::move(origin_form)};
  }
  return std::nullopt;
}

}  // namespace wsexec
