#include "core/content_type.hpp"

#include <array>
#include <utility>

namespace wsexec {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 46> types{{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"txt", "text/plain; charset=utf-8"},
    {"xml", "text/xml; charset=utf-8"},
    {"svg", "image/svg+xml; charset=utf-8"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"avif", "image/avif"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},
    {"opus", "audio/ogg"},
    {"wav", "audio/wav"},
    {"flac", "audio/flac"},
    {"mp4", "video/mp4"},
    {"m4v", "video/mp4"},
    {"webm", "video/webm"},
    {"ogv", "video/ogg"},
    {"mov", "video/quicktime"},
    {"m4a", "audio/mp4"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"csv", "text/csv; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"map", "application/json; charset=utf-8"},
    {"webmanifest", "application/manifest+json; charset=utf-8"},
    // Common enough on the web to be worth a line each.
    {"xhtml", "application/xhtml+xml; charset=utf-8"},
    {"jsonld", "application/ld+json; charset=utf-8"},
    {"bmp", "image/bmp"},
    {"apng", "image/apng"},
    {"aac", "audio/aac"},
}};

constexpr std::string_view octet_stream = "application/octet-stream";

bool equals_ignoring_case(std::string_view extension, std::string_view lower) {
  if (extension.size() != lower.size()) return false;
  for (std::size_t i = 0; i < extension.size(); ++i) {
    char c = extension[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  const auto slash = file_name.find_last_of('/');
  if (slash != std::string_view::npos) file_name.remove_prefix(slash + 1);
  const auto dot = file_name.find_last_of('.');
  if (dot == std::string_view::npos) return octet_stream;
  const std::string_view extension = file_name.substr(dot + 1);
  for (const auto& [known, type] : types) {
    if (equals_ignoring_case(extension, known)) return type;
  }
  return octet_stream;
}

}  // namespace wsexec
