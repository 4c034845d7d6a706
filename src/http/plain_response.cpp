#include "http/plain_response.hpp"

#include <cctype>

#include "http/connection_info.hpp"

namespace wsexec {

namespace http = boost::beast::http;

PlainResponse plain_response(http::status status, unsigned version, bool keep_alive,
                             const Config& config, const std::string& server_software) {
  PlainResponse response{status, version};
  add_plain_response_headers(response, config, server_software);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::to_string(static_cast<unsigned>(status)) + " " +
                    std::string(http::obsolete_reason(status)) + "\n";
  response.keep_alive(keep_alive);
  response.prepare_payload();
  return response;
}

std::string access_label(http::status status) {
  std::string label(http::obsolete_reason(status));
  for (char& c : label) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return label;
}

}  // namespace wsexec
