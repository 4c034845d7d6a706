#include "http/client_script.hpp"

#include <boost/beast/http/field.hpp>
#include <cstdint>
#include <cstdio>
#include <string>

#include "http/connection_info.hpp"

namespace wsexec {
namespace {

namespace http = boost::beast::http;

// The script changes only with the binary, so its ETag is a hash of its
// bytes (FNV-1a: stable across builds and machines, unlike std::hash),
// computed once.
const std::string& script_etag() {
  static const std::string etag = [] {
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : client_script()) {
      hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    char text[24];
    std::snprintf(text, sizeof text, "\"%016llx\"", static_cast<unsigned long long>(hash));
    return std::string(text);
  }();
  return etag;
}

// If-None-Match is "*" or a list of tags, each perhaps weak (W/"..."); a
// weak comparison suffices for GET (RFC 9110 section 13.1.2), so finding
// our quoted tag anywhere in the list is the answer.
bool names_current_script(std::optional<std::string_view> if_none_match) {
  if (!if_none_match) return false;
  return *if_none_match == "*" || if_none_match->find(script_etag()) != std::string_view::npos;
}

}  // namespace

PlainResponse client_script_response(std::optional<std::string_view> if_none_match,
                                     unsigned version, bool keep_alive, const Config& config,
                                     const std::string& server_software) {
  PlainResponse response{http::status::ok, version};
  add_plain_response_headers(response, config, server_software);
  // no-cache: the browser may keep it but asks each time (a 304 costs a few
  // bytes), so a page never runs the script of an older wsexec.
  response.set(http::field::cache_control, "no-cache");
  response.set(http::field::etag, script_etag());
  response.set("X-Content-Type-Options", "nosniff");
  if (names_current_script(if_none_match)) {
    response.result(http::status::not_modified);
  } else {
    response.set(http::field::content_type, "text/javascript; charset=utf-8");
    response.body() = std::string(client_script());
  }
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

}  // namespace wsexec
