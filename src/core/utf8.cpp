#include "core/utf8.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace wsexec {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";

unsigned char byte_at(std::string_view bytes, std::size_t i) {
  return static_cast<unsigned char>(bytes[i]);
}

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// What a lead byte promises. Only the second byte's range depends on the
// lead: that single check is what rules out overlongs (E0, F0), surrogates
// (ED) and code points above U+10FFFF (F4).
struct Lead {
  std::size_t length;  // 0: this byte can never start a character
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
};

Lead describe_lead(unsigned char byte) {
  if (byte < 0x80) return {1};
  if (byte < 0xC2) return {0};  // a continuation byte, or C0/C1 (always overlong)
  if (byte < 0xE0) return {2};
  if (byte == 0xE0) return {3, 0xA0};
  if (byte == 0xED) return {3, 0x80, 0x9F};
  if (byte < 0xF0) return {3};
  if (byte == 0xF0) return {4, 0x90};
  if (byte < 0xF4) return {4};
  if (byte == 0xF4) return {4, 0x80, 0x8F};
  return {0};
}

struct Sequence {
  std::size_t length;
  bool valid;
};

// The sequence at the start of non-empty `bytes`: either one well-formed
// character, or the maximal subpart of an ill-formed one (the longest run
// that could still have begun a character, at least one byte), which stands
// for exactly one U+FFFD.
Sequence measure_sequence(std::string_view bytes) {
  const Lead lead = describe_lead(byte_at(bytes, 0));
  if (lead.length == 0) return {1, false};
  for (std::size_t i = 1; i < lead.length; ++i) {
    if (i == bytes.size()) return {i, false};
    const unsigned char byte = byte_at(bytes, i);
    const unsigned char min = i == 1 ? lead.second_min : 0x80;
    const unsigned char max = i == 1 ? lead.second_max : 0xBF;
    if (byte < min || byte > max) return {i, false};
  }
  return {lead.length, true};
}

// Child output is mostly ASCII, so it is checked a word at a time.
std::size_t ascii_prefix_length(std::string_view bytes) {
  constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + sizeof(std::uint64_t) <= bytes.size(); i += sizeof(std::uint64_t)) {
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, sizeof word);
    if (word & high_bits) break;
  }
  while (i < bytes.size() && byte_at(bytes, i) < 0x80) ++i;
  return i;
}

std::size_t valid_prefix_length(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    i += ascii_prefix_length(bytes.substr(i));
    if (i == bytes.size()) break;
    const Sequence sequence = measure_sequence(bytes.substr(i));
    if (!sequence.valid) break;
    i += sequence.length;
  }
  return i;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  return valid_prefix_length(bytes) == bytes.size();
}

void append_repaired_utf8(std::string_view bytes, std::string& out) {
  while (!bytes.empty()) {
    const std::size_t valid = valid_prefix_length(bytes);
    out.append(bytes.substr(0, valid));
    bytes.remove_prefix(valid);
    if (bytes.empty()) break;
    out.append(replacement_character);
    bytes.remove_prefix(measure_sequence(bytes).length);
  }
}

std::size_t utf8_cut_point(std::string_view bytes, std::size_t limit) {
  const std::size_t end = std::min(limit, bytes.size());
  if (end == 0) return 0;
  // A character is at most 4 bytes, so its lead is at most 3 bytes back.
  std::size_t start = end - 1;
  while (start > 0 && end - start < 4 && is_continuation(byte_at(bytes, start))) --start;
  const unsigned char lead = byte_at(bytes, start);
  if (is_continuation(lead)) return end;  // stray continuation bytes: nothing to keep together
  const std::size_t length = std::max<std::size_t>(describe_lead(lead).length, 1);
  // Cutting before a character that starts the prefix would return 0; the
  // split character then becomes U+FFFD, but the caller moves on.
  if (start + length <= end || start == 0) return end;
  return start;
}

}  // namespace wsexec
