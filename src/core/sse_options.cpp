#include "core/sse_options.hpp"

#include <string>

#include "core/config.hpp"

namespace wsexec {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw ConfigError(message, 1);
}

}  // namespace

void read_sse_options(const StoredOptions& options, Config& config) {
  config.sse = options.flag("sse");
  for (const char* name : {"resumems", "resumebuffer"}) {
    if (options.given(name) && !config.sse) {
      fail("--" + std::string(name) + " only works together with --sse");
    }
  }
  if (options.given("resumems")) {
    // A day: a session kept longer than that for a vanished client is a leak.
    config.sse_resume_ms = static_cast<unsigned>(options.number("resumems", 86'400'000));
  }
  if (options.given("resumebuffer")) {
    // At least one pipe read (64 KiB), so one burst of output cannot end a
    // session whose client is away for a moment; at most 1 GiB.
    config.sse_resume_buffer_bytes = options.number("resumebuffer", 1ull << 30, 64 * 1024);
  }
}

}  // namespace wsexec
