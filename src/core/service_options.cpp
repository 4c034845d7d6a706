#include "core/service_options.hpp"

#include <string>

namespace wsexec {
namespace {

// An hour, like --closems: a drain longer than that is a server that never
// stops, and systemd's TimeoutStopSec would kill it first anyway.
constexpr unsigned long long kMaxDrainMs = 3'600'000;

std::string non_empty(const StoredOptions& options, const char* name) {
  return options.last(name, [name](const std::string& value) {
    if (value.empty()) {
      throw ConfigError("--" + std::string(name) + " needs a name, e.g. --" + name + "=nobody", 1);
    }
    return value;
  });
}

}  // namespace

void read_service_options(const StoredOptions& options, Config& config) {
  if (options.given("drainms")) {
    config.drain_ms = static_cast<unsigned>(options.number("drainms", kMaxDrainMs));
  }
  if (options.given("user")) config.run_as_user = non_empty(options, "user");
  if (options.given("group")) {
    config.run_as_group = non_empty(options, "group");
    // Switching the group alone would leave the server root with a
    // different gid: almost never what was meant, and no safer.
    if (config.run_as_user.empty()) {
      throw ConfigError("--group only works together with --user", 1);
    }
  }
}

}  // namespace wsexec
