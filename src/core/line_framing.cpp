#include "core/line_framing.hpp"

#include <algorithm>

#include "core/utf8.hpp"

namespace wsexec {
namespace {

// Capacity an idle connection may keep: enough for typical lines without an
// allocation per message, small enough that thousands of idle connections
// cost little.
constexpr std::size_t kept_capacity = 8 * 1024;

// Also when a few bytes are left, not only when empty: a prompt printed
// after a burst must not pin the burst's memory while the child waits.
void release_if_oversized(std::string& buffer) {
  if (buffer.capacity() > kept_capacity && buffer.size() <= buffer.capacity() / 4) {
    std::string(buffer).swap(buffer);
  }
}

}  // namespace

// A max_line of 0 could never make progress on a line without "\n".
LineFramer::LineFramer(std::size_t max_line) : max_line_(std::max<std::size_t>(max_line, 1)) {}

void LineFramer::append(std::string_view bytes) {
  // Drops returned bytes even when the caller never compacts, so memory
  // stays bounded; moving at most as many bytes as were dropped keeps this
  // amortized O(1) per byte.
  if (consumed_ > 0 && consumed_ >= buffered()) {
    buffer_.erase(0, consumed_);
    scan_pos_ -= consumed_;
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

std::optional<std::string_view> LineFramer::next_line() {
  const std::size_t newline = buffer_.find('\n', scan_pos_);
  if (newline == std::string::npos) {
    scan_pos_ = buffer_.size();
    std::size_t content = buffered();
    // A last "\r" may be the start of "\r\n": it is not content yet.
    if (content > 0 && buffer_.back() == '\r') --content;
    if (content <= max_line_) return std::nullopt;
    return take_piece(content);
  }
  scan_pos_ = newline;
  std::size_t content_end = newline;
  if (content_end > consumed_ && buffer_[content_end - 1] == '\r') --content_end;
  if (content_end - consumed_ > max_line_) return take_piece(content_end - consumed_);
  const std::string_view line(buffer_.data() + consumed_, content_end - consumed_);
  consumed_ = newline + 1;
  scan_pos_ = consumed_;
  return make_valid(line);
}

std::optional<std::string_view> LineFramer::finish() {
  if (auto line = next_line()) return line;
  if (buffered() == 0) return std::nullopt;
  std::string_view rest(buffer_.data() + consumed_, buffered());
  if (rest.back() == '\r') rest.remove_suffix(1);
  consumed_ = scan_pos_ = buffer_.size();
  return make_valid(rest);
}

void LineFramer::compact() {
  buffer_.erase(0, consumed_);
  scan_pos_ -= consumed_;
  consumed_ = 0;
  release_if_oversized(buffer_);
  repaired_.clear();
  release_if_oversized(repaired_);
}

std::size_t LineFramer::buffered() const {
  return buffer_.size() - consumed_;
}

// The first max_line bytes of an over-long line, cut between characters.
std::optional<std::string_view> LineFramer::take_piece(std::size_t content_length) {
  const std::string_view content(buffer_.data() + consumed_, content_length);
  const std::string_view piece = content.substr(0, utf8_cut_point(content, max_line_));
  consumed_ += piece.size();
  return make_valid(piece);
}

std::optional<std::string_view> LineFramer::make_valid(std::string_view line) {
  if (is_valid_utf8(line)) return line;
  repaired_.clear();
  append_repaired_utf8(line, repaired_);
  return std::string_view(repaired_);
}

}  // namespace wsexec
