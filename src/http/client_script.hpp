#pragma once
// The browser client library (src/http/client.js, docs/fallback.md), served
// at kClientScriptPath by every wsexec. The file is compiled into the binary
// at build time (cmake/embed_file.cmake), so the server needs no file at run
// time and the script always matches the server that speaks its protocol.
#include <string_view>

#include "http/plain_response.hpp"

namespace wsexec {

std::string_view client_script();

// The answer to a GET or HEAD for the script: 200 with the script, or 304
// when If-None-Match names the script's ETag. The body is set for HEAD too
// (the caller writes only the head), so Content-Length stays true.
PlainResponse client_script_response(std::optional<std::string_view> if_none_match,
                                     unsigned version, bool keep_alive, const Config& config,
                                     const std::string& server_software);

}  // namespace wsexec
