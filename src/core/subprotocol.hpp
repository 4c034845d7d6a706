#pragma once
// WebSocket subprotocols (RFC 6455 section 1.9): the server's list from
// --subprotocol, and which of them a client gets. Pure.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsexec {

// "chat.v2, chat.v1" -> {"chat.v2", "chat.v1"}: the server's protocols, most
// preferred first. Each must be an HTTP token, as the header's grammar
// requires; otherwise, or when the list is empty, a ConfigError naming
// --subprotocol.
std::vector<std::string> parse_subprotocol_list(const std::string& text);

// The position in `ours` of the first of our protocols that the client
// offers, or nullopt when it offers none of them. `offered` holds the value
// of every Sec-WebSocket-Protocol header of the request, each a comma list.
// Protocol names are compared exactly: a client must get back one of the
// strings it sent, byte for byte (browsers fail the connection otherwise).
std::optional<std::size_t> choose_subprotocol(const std::vector<std::string>& ours,
                                              const std::vector<std::string_view>& offered);

}  // namespace wsexec
