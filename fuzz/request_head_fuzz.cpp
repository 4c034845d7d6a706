// A request head as the server reads it: Beast's parser with the server's
// header limit, then what the server does with a head it accepted (absolute
// form, target split and decoded, origin decision) through the pure code.
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/limits.hpp"
#include "core/origin_policy.hpp"
#include "core/url_path.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;
namespace http = boost::beast::http;

namespace {

std::optional<std::string_view> header(const http::request<http::empty_body>& request,
                                       http::field field) {
  const auto found = request.find(field);
  if (found == request.end()) return std::nullopt;
  return found->value();
}

// The head as http_session.cpp goes on with it.
void serve_head(http::request<http::empty_body>& request) {
  if (auto absolute = split_absolute_form(request.target())) {
    request.set(http::field::host, absolute->first);
    request.target(absolute->second);
  }
  const auto [raw_path, query] = split_target(request.target());
  if (const auto decoded = decode_url_path(raw_path)) {
    if (const auto segments = path_segments(*decoded)) {
      for (const std::string& segment : *segments) FUZZ_CHECK(segment != "..");
    }
  }
  const OriginPolicy any_origin;
  OriginPolicy same_origin;
  same_origin.same_origin = true;
  const auto origin = header(request, http::field::origin);
  const auto host = header(request, http::field::host).value_or("");
  origin_allowed(any_origin, origin, host);
  if (!origin || origin->empty()) FUZZ_CHECK(!origin_allowed(same_origin, origin, host));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(limits::kMaxRequestHeadBytes);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  parser.eager(false);

  // Fed as a socket would deliver it: whatever has arrived, again and
  // again, until the head is complete, refused, or more is needed.
  boost::asio::const_buffer rest(data, size);
  boost::beast::error_code error;
  while (!parser.is_header_done()) {
    const std::size_t used = parser.put(rest, error);
    rest += used;
    if (error || used == 0) break;  // need_more included: nothing more will arrive
  }
  if (error && error != http::error::need_more) return 0;
  if (!parser.is_header_done()) return 0;
  FUZZ_CHECK(size - rest.size() <= limits::kMaxRequestHeadBytes);
  serve_head(parser.get());
  return 0;
}
