#pragma once
// The options for running as a service (issue 15): --drainms, --user and
// --group, checked and stored into the Config. Apart from config.cpp so the
// option parser stays one file of a readable size.
#include "core/config.hpp"
#include "core/option_values.hpp"

namespace wsexec {

// Throws ConfigError naming the option for a bad value: a --drainms that is
// not a number of milliseconds up to an hour, an empty --user or --group,
// or --group without --user.
void read_service_options(const StoredOptions& options, Config& config);

}  // namespace wsexec
