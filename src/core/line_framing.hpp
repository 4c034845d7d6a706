#pragma once
// Line mode framing of a child's output: bytes in, one text message per line
// out. Pure: no I/O, so unit tests and fuzzers can drive every edge.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wsexec {

class LineFramer {
 public:
  // A line longer than this is delivered as several messages of at most
  // this many bytes each (cut on a character boundary), so a child that
  // never prints "\n" cannot make the server buffer without bound.
  static constexpr std::size_t default_max_line = 16u << 20;  // 16 MiB

  explicit LineFramer(std::size_t max_line = default_max_line);

  // Adds output read from the child.
  void append(std::string_view bytes);

  // The next complete line: without its "\n" and without one trailing "\r",
  // always valid UTF-8 (see utf8.hpp). Once more than max_line bytes are
  // buffered with no "\n", their first max_line bytes (fewer if that would
  // split a character) are returned as a line of their own; a line of exactly
  // max_line bytes stays one message. The view stays valid until the next
  // call of a non-const member.
  std::optional<std::string_view> next_line();

  // At end of output: the lines still buffered, then what is left (a last
  // line with no "\n"), same rules; nullopt when nothing is left. Call it
  // until it returns nullopt.
  std::optional<std::string_view> finish();

  // Releases a large buffer once it is drained, so an idle connection keeps
  // only a few bytes after a burst. Call after next_line() returned nullopt.
  void compact();

  // Bytes held that are not yet returned as lines.
  std::size_t buffered() const;

 private:
  std::optional<std::string_view> take_piece(std::size_t content_length);
  std::optional<std::string_view> make_valid(std::string_view line);

  std::size_t max_line_;
  std::string buffer_;  // bytes received, from consumed_ on not yet returned
  std::size_t consumed_ = 0;
  std::size_t scan_pos_ = 0;  // no "\n" between consumed_ and here: a long line is scanned once
  std::string repaired_;      // scratch for a line that needed UTF-8 repair
};

}  // namespace wsexec
