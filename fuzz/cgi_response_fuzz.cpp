// CGI header blocks: a script's output, fed in any pieces, gives the same
// verdict as fed whole, and a complete block never lets through what the
// parser promises to keep out of the response.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/cgi_response.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_hop_by_hop(std::string_view name) {
  const std::string lowered = lower(name);
  for (std::string_view hop : {"connection", "keep-alive", "proxy-connection", "te", "trailer",
                               "transfer-encoding", "upgrade"}) {
    if (lowered == hop) return true;
  }
  return false;
}

void check_complete(const CgiResponse& response) {
  FUZZ_CHECK(response.status >= 100 && response.status <= 599);
  if (response.kind != CgiResponse::Kind::document) FUZZ_CHECK(!response.location.empty());
  if (response.kind == CgiResponse::Kind::local_redirect) {
    FUZZ_CHECK(response.location.starts_with("/") && !response.location.starts_with("//"));
  }
  for (const auto& [name, value] : response.headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(!is_hop_by_hop(name));
    const std::string lowered = lower(name);
    FUZZ_CHECK(lowered != "status" && lowered != "location");
    // Nothing that could end a header line or smuggle another one.
    FUZZ_CHECK(name.find_first_of(":\r\n \t") == std::string::npos);
    FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
    FUZZ_CHECK(value.find('\0') == std::string::npos);
  }
}

bool same_response(const CgiResponse& a, const CgiResponse& b) {
  return a.kind == b.kind && a.status == b.status && a.reason == b.reason &&
         a.location == b.location && a.headers == b.headers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const std::size_t max_header_bytes = provider.ConsumeIntegralInRange<std::size_t>(1, 4096);
  const std::size_t piece_size = provider.ConsumeIntegralInRange<std::size_t>(1, 64);
  const std::string output = provider.ConsumeRemainingBytesAsString();

  CgiResponseParser whole(max_header_bytes);
  const CgiResponseParser::State verdict = whole.feed(output);
  FUZZ_CHECK(verdict == whole.state());
  FUZZ_CHECK(whole.error().empty() == (verdict != CgiResponseParser::State::invalid));
  if (verdict == CgiResponseParser::State::complete) {
    check_complete(whole.response());
    // The body starts right after the block, which fits the limit.
    FUZZ_CHECK(output.ends_with(whole.body_start()));
    FUZZ_CHECK(output.size() - whole.body_start().size() <= max_header_bytes);
  }

  CgiResponseParser pieces(max_header_bytes);
  std::string_view rest(output);
  CgiResponseParser::State state = CgiResponseParser::State::need_more;
  while (!rest.empty()) {
    const std::string_view piece = rest.substr(0, piece_size);
    rest.remove_prefix(piece.size());
    const CgiResponseParser::State previous = state;
    state = pieces.feed(piece);
    // A verdict, once given, stays.
    if (previous != CgiResponseParser::State::need_more) FUZZ_CHECK(state == previous);
  }
  FUZZ_CHECK(state == verdict);
  if (verdict == CgiResponseParser::State::complete) {
    FUZZ_CHECK(same_response(whole.response(), pieces.response()));
  }
  return 0;
}
