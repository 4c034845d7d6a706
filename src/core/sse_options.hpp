#pragma once
// The options of the HTTP fallback transport (--sse, --resumems,
// --resumebuffer; docs/sse-protocol.md), read into Config.
#include "core/config.hpp"
#include "core/option_values.hpp"

namespace wsexec {

void read_sse_options(const StoredOptions& options, Config& config);

}  // namespace wsexec
