// Line framing: a child's output, in arbitrary pieces, becomes lines that are
// valid UTF-8, never hold more than max_line bytes of content, and account
// for every byte received.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/line_framing.hpp"
#include "core/utf8.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

std::string repaired(std::string_view bytes) {
  std::string out;
  append_repaired_utf8(bytes, out);
  return out;
}

// Follows the framer through the input: `position` is where the bytes not
// yet returned as lines start.
struct Follower {
  const std::string& received;
  std::size_t max_line;
  std::size_t position = 0;

  // One line the framer returned, while it had `before` bytes buffered.
  void check(std::string_view line, std::size_t before, std::size_t after, bool finishing) {
    FUZZ_CHECK(after < before);  // every line consumes input: no endless loop
    const std::size_t taken = before - after;
    std::string_view raw = std::string_view(received).substr(position, taken);
    FUZZ_CHECK(raw.size() == taken);
    position += taken;
    FUZZ_CHECK(is_valid_utf8(line));
    if (!raw.empty() && raw.back() == '\n') {
      raw.remove_suffix(1);
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      FUZZ_CHECK(raw.find('\n') == std::string_view::npos);
      FUZZ_CHECK(raw.size() <= max_line);
      FUZZ_CHECK(line == repaired(raw));
      return;
    }
    // A piece of an over-long line, or (finishing) the last line.
    FUZZ_CHECK(raw.find('\n') == std::string_view::npos);
    // The last line loses one trailing "\r"; a piece cut before a "\r" keeps it.
    if (finishing && raw.back() == '\r' && line != repaired(raw)) {
      const std::string_view content = raw.substr(0, raw.size() - 1);
      FUZZ_CHECK(content.size() <= max_line);
      FUZZ_CHECK(line == repaired(content));
      return;
    }
    FUZZ_CHECK(raw.size() <= max_line);
    FUZZ_CHECK(line == repaired(raw));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const std::size_t max_line = provider.ConsumeIntegralInRange<std::size_t>(1, 64);
  LineFramer framer(max_line);
  std::string received;
  Follower follower{received, max_line};

  while (provider.remaining_bytes() > 0) {
    const std::string piece = provider.ConsumeRandomLengthString(256);
    received += piece;
    framer.append(piece);
    FUZZ_CHECK(framer.buffered() == received.size() - follower.position);
    while (true) {
      const std::size_t before = framer.buffered();
      const std::optional<std::string_view> line = framer.next_line();
      if (!line) break;
      follower.check(*line, before, framer.buffered(), false);
    }
    if (provider.ConsumeBool()) framer.compact();
  }
  while (true) {
    const std::size_t before = framer.buffered();
    const std::optional<std::string_view> line = framer.finish();
    if (!line) break;
    follower.check(*line, before, framer.buffered(), true);
  }
  // Bytes in = bytes returned in lines + bytes still buffered, and at the end
  // nothing is left.
  FUZZ_CHECK(framer.buffered() == 0);
  FUZZ_CHECK(follower.position == received.size());
  return 0;
}
