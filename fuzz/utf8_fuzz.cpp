// UTF-8 repair: whatever the child prints, what we send is valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/utf8.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

// Of a valid, non-empty text, from its lead byte.
std::size_t first_character_length(std::string_view valid) {
  const auto lead = static_cast<unsigned char>(valid.front());
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string repaired;
  append_repaired_utf8(input, repaired);
  FUZZ_CHECK(is_valid_utf8(repaired));
  // Valid input passes untouched, and only valid input does.
  FUZZ_CHECK(is_valid_utf8(input) == (repaired == input));
  // Repair is idempotent: a second pass has nothing left to replace.
  std::string twice;
  append_repaired_utf8(repaired, twice);
  FUZZ_CHECK(twice == repaired);
  // Each ill-formed subsequence (at least one byte) becomes three bytes.
  FUZZ_CHECK(repaired.size() <= 3 * input.size());

  // A cut in a valid text leaves a valid prefix, except when the limit is
  // shorter than the first character: progress then wins over the character.
  for (std::size_t limit = 0; limit <= repaired.size() + 1; limit += 1 + limit / 4) {
    const std::size_t cut = utf8_cut_point(repaired, limit);
    FUZZ_CHECK(cut <= limit && cut <= repaired.size());
    FUZZ_CHECK(limit == 0 || repaired.empty() || cut > 0);
    if (!is_valid_utf8(std::string_view(repaired).substr(0, cut))) {
      FUZZ_CHECK(cut == limit && limit < first_character_length(repaired));
    }
  }
  return 0;
}
