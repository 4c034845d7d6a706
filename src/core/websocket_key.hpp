#pragma once
// RFC 6455 section 4.2.1: an opening handshake's Sec-WebSocket-Key is "a
// base64-encoded value that, when decoded, is 16 bytes in length". Beast
// (1.74) checks only that the header is present and not too long, so the
// server checks the rest itself and answers 400 to a key that is not one.
#include <string_view>

namespace wsexec {

// True when `key`, without surrounding white space, is the base64 encoding of
// exactly 16 bytes: 22 characters of the base64 alphabet and "==". The 22nd
// character carries only 2 bits of data, so it must be one whose other 4 bits
// are zero (A, Q, g or w): any other is not the encoding of 16 bytes.
bool is_valid_websocket_key(std::string_view key);

}  // namespace wsexec
