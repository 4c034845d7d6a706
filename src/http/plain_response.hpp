#pragma once
// A response of the server's own (an error, a refusal, a redirect): the
// status line, "404 Not Found\n" as a text body, and the headers every plain
// response carries (Server, --header, --header-http). The HTTP session and
// the CGI exchange both answer with it.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>

#include "core/config.hpp"

namespace wsexec {

using PlainResponse = boost::beast::http::response<boost::beast::http::string_body>;

PlainResponse plain_response(boost::beast::http::status status, unsigned version, bool keep_alive,
                             const Config& config, const std::string& server_software);

// The status line's words in capitals ("NOT FOUND"), as websocketd logs them,
// so parsers of its access log match ours.
std::string access_label(boost::beast::http::status status);

}  // namespace wsexec
