#include "core/websocket_key.hpp"

namespace wsexec {
namespace {

bool is_base64_character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

std::string_view trim_optional_white_space(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool is_valid_websocket_key(std::string_view key) {
  // 16 bytes are five groups of three (20 characters) and one byte left
  // over, which encodes as two characters and two '='.
  constexpr std::size_t kEncodedLength = 24;
  key = trim_optional_white_space(key);
  if (key.size() != kEncodedLength || key.substr(22) != "==") return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (!is_base64_character(key[i])) return false;
  }
  const char last = key[21];
  return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

}  // namespace wsexec
