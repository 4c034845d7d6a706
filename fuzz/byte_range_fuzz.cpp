// Range headers: a partial answer always lies inside the file.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/byte_range.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  // Mostly small sizes, where the edges (0, 1, a range just past the end)
  // are reachable; sometimes any 64-bit size.
  const std::uint64_t file_size = provider.ConsumeBool()
                                      ? provider.ConsumeIntegralInRange<std::uint64_t>(0, 1024)
                                      : provider.ConsumeIntegral<std::uint64_t>();
  const bool has_header = provider.ConsumeBool();
  const std::string header = provider.ConsumeRemainingBytesAsString();

  const RangeRequest request = interpret_range(
      has_header ? std::optional<std::string_view>(header) : std::nullopt, file_size);
  switch (request.kind) {
    case RangeRequest::Kind::partial: {
      FUZZ_CHECK(has_header);
      FUZZ_CHECK(request.range.first <= request.range.last);
      FUZZ_CHECK(request.range.last < file_size);
      const std::string content_range_value = content_range(request.range, file_size);
      FUZZ_CHECK(content_range_value.starts_with("bytes "));
      break;
    }
    case RangeRequest::Kind::unsatisfiable:
      FUZZ_CHECK(has_header);
      FUZZ_CHECK(unsatisfied_content_range(file_size).starts_with("bytes */"));
      break;
    case RangeRequest::Kind::whole:
      break;
  }
  return 0;
}
