#pragma once
// The options of the operations side: --metrics=[ADDR:]PORT and
// --logformat. Kept apart from config.cpp's listeners and children; called
// from build_config() like the other readers.
#include <string>

#include "core/config.hpp"
#include "core/option_values.hpp"

namespace wsexec {

struct MetricsEndpoint {
  std::string address;  // an IP literal, IPv6 without brackets
  unsigned port = 0;
};

// "9100" -> 127.0.0.1:9100 (metrics are for the local scraper unless
// asked otherwise), "0.0.0.0:9100", "[::1]:9100". The address must be an IP
// literal: a host name could resolve to several addresses, or to another
// one after a restart. Throws ConfigError naming --metrics.
MetricsEndpoint parse_metrics_endpoint(const std::string& text);

// Reads --metrics and --logformat into `config`.
void read_observability_options(const StoredOptions& options, Config& config);

}  // namespace wsexec
