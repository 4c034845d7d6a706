// URL paths: nothing a client sends decodes to a path that could climb out
// of a served directory.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/url_path.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

void check_segments(const std::vector<std::string>& segments) {
  for (const std::string& segment : segments) {
    FUZZ_CHECK(!segment.empty() && segment != "." && segment != "..");
    FUZZ_CHECK(segment.find('/') == std::string::npos);
    FUZZ_CHECK(segment.find('\0') == std::string::npos);
    FUZZ_CHECK(segment.find('\\') == std::string::npos);
  }
}

void check_path(std::string_view raw_path) {
  const std::optional<std::string> decoded = decode_url_path(raw_path);
  if (!decoded) return;
  FUZZ_CHECK(decoded->size() <= raw_path.size());
  // An encoded slash or NUL is refused, so decoding adds no separator.
  FUZZ_CHECK(std::count(decoded->begin(), decoded->end(), '/') ==
             std::count(raw_path.begin(), raw_path.end(), '/'));
  FUZZ_CHECK(decoded->find('\0') == std::string::npos ||
             raw_path.find('\0') != std::string_view::npos);
  if (const auto segments = path_segments(*decoded)) check_segments(*segments);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);

  const auto [path, query] = split_target(target);
  FUZZ_CHECK(path.find('?') == std::string_view::npos);
  FUZZ_CHECK(path.size() + query.size() + (path.size() < target.size() ? 1 : 0) == target.size());
  check_path(path);

  if (const auto absolute = split_absolute_form(target)) {
    const auto& [authority, origin_form] = *absolute;
    FUZZ_CHECK(!authority.empty());
    FUZZ_CHECK(authority.find_first_of("/?") == std::string::npos);
    FUZZ_CHECK(origin_form.starts_with("/"));
    check_path(split_target(origin_form).first);
  }
  return 0;
}
