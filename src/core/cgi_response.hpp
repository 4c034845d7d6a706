#pragma once
// The header block a CGI/1.1 script prints before its body (RFC 3875 §6):
// bytes in, a checked response description out. Pure: no I/O, the runner
// feeds what it reads from the script's stdout.
//
// Rules, strict where it protects the client, lenient where real scripts differ:
// - Lines end with LF or CRLF; the first empty line ends the block. A CR or
//   NUL anywhere else in a line, a line starting with SP/HT (obs-fold), a
//   line without a colon, a name that is not a token (RFC 9110 tchar, so no
//   blank before the colon) and a value with a control character other than
//   HT are all invalid. Blanks after the colon and at the end are trimmed.
// - Names are case-insensitive. Status must be "NNN" or "NNN reason" with
//   NNN in 100-599. Status, Location and Content-Type may appear once each;
//   Content-Type must not be empty. Location must not be empty.
// - Location starting with a single "/" and no Status: local redirect (the
//   server re-dispatches a GET for it; the other headers may be ignored).
//   Any other Location (an absolute URI, a "//host" network path, a relative
//   reference, or a local path together with a Status): client redirect,
//   status from Status (e.g. 301, or 201 Created with its Location) else
//   302. Location is kept in `location`, never in `headers`.
// - Without Location, Content-Type is required, except with Status 204 or
//   304 (responses that cannot have a body).
// - Content-Length is kept only when it is a decimal number that fits in 64
//   bits (once); any other Content-Length is invalid. The server owns the
//   framing: it may still stream, and must not send more than the number.
// - Hop-by-hop headers are dropped silently (after being checked like any
//   other line): Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
//   Transfer-Encoding, Upgrade.
// - The whole block, line ends and the final empty line included, may be at
//   most max_header_bytes long.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsexec {

struct CgiResponse {
  enum class Kind { document, local_redirect, client_redirect };
  Kind kind = Kind::document;
  // From "Status: 404 Not Found", else 200; a client redirect without Status
  // is 302. Meaningless for a local redirect.
  unsigned status = 200;
  // The reason phrase from Status (may be empty: empty when Status had none or
  // was not printed; the server then uses the standard phrase).
  std::string reason;
  // Location as printed, whatever the kind (only redirects have one).
  std::string location;
  // Every other header the script printed, in order, names as printed
  // (Content-Type included; Status, Location and hop-by-hop headers excluded).
  std::vector<std::pair<std::string, std::string>> headers;
};

class CgiResponseParser {
 public:
  enum class State { need_more, complete, invalid };

  explicit CgiResponseParser(std::size_t max_header_bytes = 64 * 1024);

  // Feeds script output. Returns complete once the empty line ending the
  // header block has been seen (lines end with LF or CRLF), invalid on a
  // malformed block or more than max_header_bytes without its end. Once
  // complete or invalid, later calls return the same state and ignore input.
  // Each byte is looked at once: feeding one byte at a time is linear.
  State feed(std::string_view bytes);

  State state() const { return state_; }

  // After complete: the body bytes that arrived together with the headers
  // (in the last feed()), copied: the view stays valid as long as the parser.
  // Empty before complete.
  std::string_view body_start() const { return body_start_; }

  // The parsed response; fully meaningful only after complete.
  const CgiResponse& response() const { return response_; }

  // After invalid: one sentence for the log ("header line without a colon:
  // ..."), with the offending bytes quoted, escaped and shortened. Empty
  // otherwise.
  const std::string& error() const { return error_; }

 private:
  // Handles one line without its LF; returns false once invalid.
  bool take_line(std::string_view line);
  bool take_header(std::string_view name, std::string_view value);
  void finish_block();
  void fail(std::string message);

  std::size_t max_header_bytes_;
  std::size_t header_bytes_ = 0;  // bytes of the block seen so far, LFs included
  std::string line_;              // the current line, while its LF has not arrived
  State state_ = State::need_more;
  bool saw_status_ = false;
  bool saw_location_ = false;
  bool saw_content_type_ = false;
  bool saw_content_length_ = false;
  CgiResponse response_;
  std::string body_start_;
  std::string error_;
};

}  // namespace wsexec
