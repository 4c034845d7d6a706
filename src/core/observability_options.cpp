#include "core/observability_options.hpp"

#include <arpa/inet.h>

namespace wsexec {
namespace {

constexpr const char* kDefaultMetricsAddress = "127.0.0.1";

[[noreturn]] void refuse_metrics(const std::string& text, const std::string& why) {
  throw ConfigError("--metrics=\"" + text + "\" " + why +
                        " (expected [ADDR:]PORT, e.g. 9100, 0.0.0.0:9100 or [::1]:9100)",
                    1);
}

bool is_ip_literal(const std::string& address, bool v6) {
  unsigned char parsed[sizeof(in6_addr)];
  return inet_pton(v6 ? AF_INET6 : AF_INET, address.c_str(), parsed) == 1;
}

}  // namespace

MetricsEndpoint parse_metrics_endpoint(const std::string& text) {
  MetricsEndpoint endpoint;
  std::string port_text = text;
  if (text.starts_with('[')) {
    const auto close = text.find("]:");
    if (close == std::string::npos) refuse_metrics(text, "has no ]:PORT after its IPv6 address");
    endpoint.address = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (!is_ip_literal(endpoint.address, true)) {
      refuse_metrics(text, "does not name an IPv6 address");
    }
  } else if (const auto colon = text.find(':'); colon != std::string::npos) {
    if (text.find(':', colon + 1) != std::string::npos) {
      refuse_metrics(text, "has an IPv6 address without brackets");
    }
    endpoint.address = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (!is_ip_literal(endpoint.address, false)) {
      refuse_metrics(text, "does not name an IPv4 address (host names are not accepted)");
    }
  } else {
    endpoint.address = kDefaultMetricsAddress;
  }
  endpoint.port = static_cast<unsigned>(parse_number("metrics", port_text, 65535, 1));
  return endpoint;
}

void read_observability_options(const StoredOptions& options, Config& config) {
  if (options.given("metrics")) {
    const auto endpoint = options.last("metrics", parse_metrics_endpoint);
    config.metrics_address = endpoint.address;
    config.metrics_port = endpoint.port;
  }
  if (options.given("logformat")) {
    config.log_format = options.last("logformat", [](const std::string& text) {
      const auto format = parse_log_format(text);
      if (!format) {
        throw ConfigError("--logformat must be text or json, not \"" + text + "\"", 1);
      }
      return *format;
    });
  }
}

}  // namespace wsexec
