#include "websocket/negotiation.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <string_view>
#include <vector>

#include "core/limits.hpp"
#include "core/subprotocol.hpp"

namespace wsexec {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// What in a client's permessage-deflate offer changes our settings. Beast
// reads only the first offer of the first Sec-WebSocket-Extensions header,
// so this reads the same one.
struct DeflateOffer {
  bool names_client_window = false;  // client_max_window_bits, with or without a value
  bool wants_server_window_of_8 = false;
};

DeflateOffer read_deflate_offer(const RequestHead& request) {
  DeflateOffer offer;
  const auto header = find_header(request, http::field::sec_websocket_extensions);
  if (!header) return offer;
  for (const auto& extension : http::ext_list{*header}) {
    if (!beast::iequals(extension.first, "permessage-deflate")) continue;
    for (const auto& parameter : extension.second) {
      if (beast::iequals(parameter.first, "client_max_window_bits")) {
        offer.names_client_window = true;
      } else if (beast::iequals(parameter.first, "server_max_window_bits")) {
        offer.wants_server_window_of_8 = parameter.second == "8";
      }
    }
    break;
  }
  return offer;
}

}  // namespace

const std::string* chosen_subprotocol(const RequestHead& request, const Config& config) {
  if (config.subprotocols.empty()) return nullptr;
  std::vector<std::string_view> offered;
  for (const auto& field : request) {
    if (field.name() == http::field::sec_websocket_protocol) offered.push_back(field.value());
  }
  const auto chosen = choose_subprotocol(config.subprotocols, offered);
  return chosen ? &config.subprotocols[*chosen] : nullptr;
}

beast::websocket::permessage_deflate deflate_settings(const RequestHead& request,
                                                      const Config& config) {
  beast::websocket::permessage_deflate settings;  // server_enable is false: not offered
  if (!config.compress) return settings;
  const DeflateOffer offer = read_deflate_offer(request);
  // zlib cannot compress with a 256-byte window; Beast would answer 9, which
  // RFC 7692 (7.1.2.1) tells the client to refuse by failing the connection.
  // Declining the extension keeps the connection, uncompressed.
  if (offer.wants_server_window_of_8) return settings;
  settings.server_enable = true;
  settings.server_max_window_bits = limits::kDeflateServerWindowBits;
  // Beast declines the whole offer if we ask for a smaller client window
  // than a client that did not name client_max_window_bits can use (15).
  settings.client_max_window_bits =
      offer.names_client_window ? limits::kDeflateClientWindowBits : 15;
  // Beast 1.74 ends every compressed message with a full flush, which
  // empties the compressor's dictionary (boostorg/beast#2313), so no message
  // can refer back to an earlier one anyway. Saying so lets the client drop
  // its decompression window between messages.
  settings.server_no_context_takeover = true;
  settings.memLevel = limits::kDeflateMemoryLevel;
  settings.compLevel = limits::kDeflateLevel;
  return settings;
}

}  // namespace wsexec
