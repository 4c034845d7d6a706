#pragma once
// What an upgrade negotiates beyond RFC 6455's minimum: the subprotocol
// (--subprotocol) and permessage-deflate (--compress). The choices are made
// from the request before the 101 is sent; Beast writes the extension's
// answer, our decorator the protocol's (configure_websocket).
#include <boost/beast/websocket/option.hpp>
#include <string>

#include "core/config.hpp"
#include "http/connection_info.hpp"

namespace wsexec {

// The subprotocol this client gets: one of config.subprotocols (valid as
// long as the configuration), or nullptr when the client offers none of
// them or none are configured.
const std::string* chosen_subprotocol(const RequestHead& request, const Config& config);

// Beast's permessage-deflate settings for this client: off without
// --compress; otherwise small windows (limits.hpp, "Compression"), the
// client's own window kept small too when its offer lets us choose it.
boost::beast::websocket::permessage_deflate deflate_settings(const RequestHead& request,
                                                             const Config& config);

}  // namespace wsexec
