// Origin policy: an --origin list and a request's Origin and Host, all from
// the input. Parsing refuses with invalid_argument only, and the decision
// keeps the promises origin_policy.hpp makes whatever the headers hold.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/origin_policy.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  OriginPolicy policy;
  policy.same_origin = provider.ConsumeBool();
  const bool has_origin = provider.ConsumeBool();
  const std::string list = provider.ConsumeRandomLengthString(256);
  const std::string origin = provider.ConsumeRandomLengthString(256);
  const std::string host = provider.ConsumeRemainingBytesAsString();

  if (!list.empty()) {
    try {
      policy.allowed = parse_origin_list(list);
    } catch (const std::invalid_argument&) {
      return 0;  // a start-up refusal: wsexec exits with the message
    }
    for (const OriginPattern& pattern : policy.allowed) {
      FUZZ_CHECK(!pattern.port || *pattern.port <= 65535);
    }
  }

  const std::optional<std::string_view> origin_header =
      has_origin ? std::optional<std::string_view>(origin) : std::nullopt;
  const bool allowed = origin_allowed(policy, origin_header, host);
  const bool has_policy = policy.same_origin || !policy.allowed.empty();
  if (!origin_header || origin_header->empty()) FUZZ_CHECK(allowed == !has_policy);
  if (has_policy && origin_header == "null") FUZZ_CHECK(!allowed);
  return 0;
}
