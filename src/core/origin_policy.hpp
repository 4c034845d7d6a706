#pragma once
// Which browsers may open a WebSocket: --origin and --sameorigin. Pure.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsexec {

// One entry of --origin: [scheme://]host[:port]. No scheme: http and https
// both match. No port: any port matches.
struct OriginPattern {
  std::optional<std::string> scheme;  // lower case, "http" or "https" (or any other given)
  std::string host;                   // lower case; IPv6 without brackets
  std::optional<unsigned> port;
};

// Parses one --origin entry; nullopt with `error` set (one sentence naming
// the entry) when it is not of that form.
std::optional<OriginPattern> parse_origin_pattern(std::string_view text, std::string& error);

// Parses the comma list given to --origin (spaces around entries ignored).
// Throws std::invalid_argument with a sentence naming the bad entry.
std::vector<OriginPattern> parse_origin_list(std::string_view list);

struct OriginPolicy {
  bool same_origin = false;            // --sameorigin
  std::vector<OriginPattern> allowed;  // --origin; empty = any origin
};

// Decides whether an upgrade may proceed. `origin` is the Origin header (nullopt when
// absent), `host` the Host header. A request without Origin (or with an empty
// one) is not from a browser and is allowed (as websocketd does) unless a
// policy is set, in which case it is refused; so is "null". An Origin that is
// not a URL ("garbage", "http://a.com:x") is refused even with no policy, as
// websocketd does. Hosts compare case-insensitively; a port-less Origin has
// its scheme's default port (https 443, else 80); a port-less Host is taken
// to have the Origin's default port, since whether the connection is TLS is
// not known here.
bool origin_allowed(const OriginPolicy& policy, std::optional<std::string_view> origin,
                    std::string_view host);

}  // namespace wsexec
