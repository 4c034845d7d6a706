#include "core/byte_range.hpp"

#include <limits>

namespace wsexec {
namespace {

constexpr std::uint64_t saturated = std::numeric_limits<std::uint64_t>::max();

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Digits only, at least one; a value past 64 bits saturates (see the header).
std::optional<std::uint64_t> parse_number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (saturated - digit) / 10) {
      value = saturated;
    } else {
      value = value * 10 + digit;
    }
  }
  return value;
}

RangeRequest whole() {
  return {};
}

RangeRequest unsatisfiable() {
  RangeRequest request;
  request.kind = RangeRequest::Kind::unsatisfiable;
  return request;
}

RangeRequest partial(std::uint64_t first, std::uint64_t last) {
  RangeRequest request;
  request.kind = RangeRequest::Kind::partial;
  request.range = {first, last};
  return request;
}

}  // namespace

RangeRequest interpret_range(std::optional<std::string_view> header, std::uint64_t size) {
  if (!header) return whole();
  const std::string_view value = trim(*header);
  const auto equals = value.find('=');
  if (equals == std::string_view::npos) return whole();
  if (!equals_ignoring_case(trim(value.substr(0, equals)), "bytes")) return whole();
  const std::string_view spec = trim(value.substr(equals + 1));
  if (spec.find(',') != std::string_view::npos) return whole();  // several ranges
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole();
  const std::string_view first_text = trim(spec.substr(0, dash));
  const std::string_view last_text = trim(spec.substr(dash + 1));

  if (first_text.empty()) {  // suffix: the last N bytes
    const auto suffix = parse_number(last_text);
    if (!suffix) return whole();
    if (*suffix == 0 || size == 0) return unsatisfiable();
    return partial(*suffix >= size ? 0 : size - *suffix, size - 1);
  }

  const auto first = parse_number(first_text);
  if (!first) return whole();
  std::optional<std::uint64_t> last;
  if (!last_text.empty()) {
    last = parse_number(last_text);
    if (!last || *last < *first) return whole();
  }
  if (*first >= size) return unsatisfiable();  // size 0 included
  const std::uint64_t end = size - 1;
  return partial(*first, last && *last < end ? *last : end);
}

std::string content_range(const ByteRange& range, std::uint64_t size) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/" +
         std::to_string(size);
}

std::string unsatisfied_content_range(std::uint64_t size) {
  return "bytes */" + std::to_string(size);
}

}  // namespace wsexec
