#include "core/origin_policy.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace wsexec {
namespace {

struct HostPort {
  std::string host;  // lower case, IPv6 without brackets; may be empty in an Origin
  std::optional<unsigned> port;
};

// An Origin header broken down; scheme and host are lower case.
struct Origin {
  std::string scheme;
  std::string host;  // empty for origins with no authority ("file:", "/x")
  std::optional<unsigned> port;
};

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex_digit(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return lower;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool is_scheme(std::string_view text) {
  return !text.empty() && is_alpha(text.front()) &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
         });
}

// Host names only; a '*' or '/' here is a user's mistake worth reporting.
bool is_reg_name(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
  });
}

bool is_ipv6_literal(std::string_view text) {
  return text.find(':') != std::string_view::npos &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return is_hex_digit(c) || c == ':' || c == '.'; });
}

std::optional<unsigned> parse_port(std::string_view digits) {
  unsigned port = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
      port > 65535) {
    return std::nullopt;
  }
  return port;
}

// host[:port] with an IPv6 host in brackets. An empty port (":" alone) means
// the default port, as in URLs; an empty host is the caller's to judge.
std::optional<HostPort> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view rest;  // empty or ":port"
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!is_ipv6_literal(host) || !(rest.empty() || rest.starts_with(':'))) return std::nullopt;
  } else {
    const auto colon = std::min(text.find(':'), text.size());
    host = text.substr(0, colon);
    rest = text.substr(colon);
    if (!is_reg_name(host)) return std::nullopt;
  }
  HostPort result{to_lower(host), std::nullopt};
  if (rest.size() > 1) {
    result.port = parse_port(rest.substr(1));
    if (!result.port) return std::nullopt;
  }
  return result;
}

// What websocketd (Go's url.ParseRequestURI) accepts, in the forms a client
// sends: "scheme://[userinfo@]host[:port][/path][?query]", "scheme:opaque"
// or "/path".
std::optional<Origin> parse_origin_header(std::string_view text) {
  const bool has_forbidden_byte = std::any_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '#';
  });
  if (has_forbidden_byte) return std::nullopt;
  if (text.starts_with('/')) return Origin{};
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || !is_scheme(text.substr(0, colon))) return std::nullopt;
  Origin origin{to_lower(text.substr(0, colon)), {}, std::nullopt};
  std::string_view rest = text.substr(colon + 1);
  if (!rest.starts_with("//")) return origin;
  std::string_view authority = rest.substr(2, rest.find_first_of("/?", 2) - 2);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  auto host_port = parse_host_port(authority);
  if (!host_port) return std::nullopt;
  origin.host = std::move(host_port->host);
  origin.port = host_port->port;
  return origin;
}

unsigned default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

unsigned effective_port(const Origin& origin) {
  return origin.port.value_or(default_port(origin.scheme));
}

// websocketd gives a Host without port the default port of the connection
// (443 under TLS); we are not told whether the connection is TLS, so such a
// Host takes the default port of the Origin's scheme instead. Otherwise
// --ssl --sameorigin would refuse every browser on port 443, whose Host
// carries no port.
bool same_origin(const Origin& origin, std::string_view host_header) {
  const auto host = parse_host_port(trim(host_header));
  if (!host || host->host.empty()) return false;
  return host->host == origin.host &&
         host->port.value_or(default_port(origin.scheme)) == effective_port(origin);
}

bool matches(const OriginPattern& pattern, const Origin& origin) {
  const bool scheme_ok = pattern.scheme ? *pattern.scheme == origin.scheme
                                        : origin.scheme == "http" || origin.scheme == "https";
  return scheme_ok && pattern.host == origin.host &&
         (!pattern.port || *pattern.port == effective_port(origin));
}

std::string not_of_the_form(std::string_view text) {
  return "--origin: \"" + std::string(text) + "\" is not of the form [scheme://]host[:port]";
}

}  // namespace

std::optional<OriginPattern> parse_origin_pattern(std::string_view text, std::string& error) {
  OriginPattern pattern;
  std::string_view authority = text;
  if (const auto separator = text.find("://"); separator != std::string_view::npos) {
    if (!is_scheme(text.substr(0, separator))) {
      error = not_of_the_form(text);
      return std::nullopt;
    }
    pattern.scheme = to_lower(text.substr(0, separator));
    authority = text.substr(separator + 3);
  }
  auto host_port = parse_host_port(authority);
  // An explicit ":" with no port is a typo here, not a request for the default.
  if (!host_port || host_port->host.empty() || authority.ends_with(':')) {
    error = not_of_the_form(text);
    return std::nullopt;
  }
  pattern.host = std::move(host_port->host);
  pattern.port = host_port->port;
  return pattern;
}

std::vector<OriginPattern> parse_origin_list(std::string_view list) {
  std::vector<OriginPattern> patterns;
  if (trim(list).empty()) return patterns;
  std::string_view rest = list;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view entry = trim(rest.substr(0, comma));
    if (entry.empty()) {
      throw std::invalid_argument("--origin: \"" + std::string(list) + "\" has an empty entry");
    }
    std::string error;
    auto pattern = parse_origin_pattern(entry, error);
    if (!pattern) throw std::invalid_argument(error);
    patterns.push_back(std::move(*pattern));
    if (comma == std::string_view::npos) return patterns;
    rest.remove_prefix(comma + 1);
  }
}

bool origin_allowed(const OriginPolicy& policy, std::optional<std::string_view> origin,
                    std::string_view host) {
  const bool restricted = policy.same_origin || !policy.allowed.empty();
  const std::string_view text = origin ? trim(*origin) : std::string_view();
  // No Origin (or an empty one) is not a browser; "null" is a browser that
  // will not say where it is: both pass only when nothing is restricted.
  if (text.empty() || text == "null") return !restricted;
  const auto parsed = parse_origin_header(text);
  if (!parsed) return false;
  if (!restricted) return true;
  if (parsed->host.empty()) return false;
  if (policy.same_origin && !same_origin(*parsed, host)) return false;
  return policy.allowed.empty() ||
         std::any_of(policy.allowed.begin(), policy.allowed.end(),
                     [&](const OriginPattern& pattern) { return matches(pattern, *parsed); });
}

}  // namespace wsexec
