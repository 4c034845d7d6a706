#pragma once
// How a CGI script's response body is framed on the wire. Pure: the CGI
// exchange gathers the facts (the script's headers, the request, whether
// the whole body is already in hand) and follows the answer.
#include <cstdint>
#include <optional>

namespace wsexec {

struct CgiFramingFacts {
  std::optional<std::uint64_t> script_length;  // the Content-Length the script printed
  // The script's whole body when it was complete (stdout at EOF) within a
  // moment of its headers; nullopt while it is still writing.
  std::optional<std::uint64_t> complete_body_length;
  unsigned http_version = 11;  // 10 or 11, as Beast numbers them
  bool head = false;           // a HEAD request: headers only
  bool client_keep_alive = true;
};

struct CgiFraming {
  enum class Body {
    script_length,  // the script's own Content-Length, at most that many bytes sent
    whole,          // Content-Length: `content_length`, the body in one write
    chunked,        // HTTP/1.1 streaming
    until_close,    // HTTP/1.0 streaming: the end of the body is the connection's end
    none,           // HEAD while the length is unknown: no framing header at all
  };
  Body body = Body::chunked;
  std::uint64_t content_length = 0;  // Body::whole
  bool keep_alive = true;
};

// The script's Content-Length wins; else a complete body gets its length;
// else HTTP/1.1 is chunked and HTTP/1.0 ends by closing. HEAD never sends a
// body, so it needs no framing, but gets the length when it is known.
CgiFraming cgi_framing(const CgiFramingFacts& facts);

}  // namespace wsexec
