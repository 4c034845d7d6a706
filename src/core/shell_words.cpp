#include "core/shell_words.hpp"

#include <stdexcept>

namespace wsexec {
namespace {

bool is_separator(char c) {
  return c == ' ' || c == '\t';
}

// Appends the inside of a "..." piece that starts at `at` (just after the
// opening quote) and returns the position of the closing quote.
std::size_t append_double_quoted(std::string_view text, std::size_t at, std::string& word) {
  static constexpr std::string_view kEscapable = "\"\\$`";
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (c == '"') return at;
    const bool escapes_next = c == '\\' && at + 1 < text.size() &&
                              kEscapable.find(text[at + 1]) != std::string_view::npos;
    if (escapes_next) ++at;
    word += text[at];
  }
  throw std::invalid_argument("a \" quote is not closed");
}

}  // namespace

std::vector<std::string> split_shell_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  // A word can be empty ('' or ""), so "is there one" is not word.empty().
  bool in_word = false;
  for (std::size_t at = 0; at < text.size(); ++at) {
    const char c = text[at];
    if (is_separator(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++at == text.size()) throw std::invalid_argument("it ends with a lone backslash");
      word += text[at];
    } else if (c == '\'') {
      const std::size_t close = text.find('\'', at + 1);
      if (close == std::string_view::npos) throw std::invalid_argument("a ' quote is not closed");
      word.append(text.substr(at + 1, close - at - 1));
      at = close;
    } else if (c == '"') {
      at = append_double_quoted(text, at + 1, word);
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace wsexec
