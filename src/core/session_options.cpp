#include "core/session_options.hpp"

#include "core/subprotocol.hpp"

namespace wsexec {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw ConfigError(message, 1);
}

}  // namespace

// --idlems and --lifetimems. Capped at 30 days: a longer limit is no limit
// anyone means, and the cap keeps the deadline arithmetic far from overflow.
void read_session_timeouts(const StoredOptions& options, Config& config) {
  constexpr unsigned long long kMaxSessionTimeoutMs = 30ULL * 24 * 3'600'000;
  if (options.given("idlems")) {
    config.idle_ms = static_cast<unsigned>(options.number("idlems", kMaxSessionTimeoutMs));
  }
  if (options.given("lifetimems")) {
    config.lifetime_ms = static_cast<unsigned>(options.number("lifetimems", kMaxSessionTimeoutMs));
  }
}

// --compress and --subprotocol, applied at the upgrade.
void read_websocket_negotiation(const StoredOptions& options, Config& config) {
  config.compress = options.flag("compress");
  if (options.given("subprotocol")) {
    config.subprotocols = options.last("subprotocol", &parse_subprotocol_list);
  }
  config.subprotocol_required = options.flag("subprotocol-required");
  if (config.subprotocol_required && config.subprotocols.empty()) {
    fail("--subprotocol-required needs --subprotocol=LIST (the protocols a client must offer)");
  }
}

// --unbuffered and --pty. Each refused combination says why it cannot mean
// anything: on a terminal session there is no separate stderr, and its
// output is always binary.
void read_terminal(const StoredOptions& options, Config& config) {
  config.unbuffered = options.flag("unbuffered");
  config.pty = options.flag("pty");
  if (!config.pty) return;
  if (config.unbuffered) {
    fail("--unbuffered cannot be used with --pty (--pty puts stdout on a terminal already)");
  }
  if (config.binary) {
    fail("--binary cannot be used with --pty (a terminal's output is always sent as binary)");
  }
  if (config.pass_stderr) {
    fail(
        "--passstderr cannot be used with --pty (stderr is the terminal, not a stream of its own)");
  }
}

namespace {

SharedMode parse_shared_mode(const std::string& text) {
  // A bare --shared is stored as "true", like every flag.
  if (text == "true" || text == "broadcast") return SharedMode::broadcast;
  if (text == "addressed") return SharedMode::addressed;
  fail("--shared must be given alone, as --shared=broadcast or as --shared=addressed; not \"" +
       text + "\"");
}

}  // namespace

void read_shared(const StoredOptions& options, Config& config) {
  if (options.given("shared")) config.shared_mode = options.last("shared", parse_shared_mode);
  const bool shared = config.shared_mode != SharedMode::off;
  for (const char* name : {"sharedidlems", "sendqueue"}) {
    if (options.given(name) && !shared) {
      fail("--" + std::string(name) + " only works together with --shared");
    }
  }
  if (options.given("sharedidlems")) {
    config.shared_idle_ms = static_cast<unsigned>(options.number("sharedidlems", 86'400'000));
  }
  if (options.given("sendqueue")) {
    // Below one pipe read (64 KiB) a client could be closed for a single
    // burst of the program's output.
    config.send_queue_bytes = options.number("sendqueue", 1ull << 32, 64 * 1024);
  }
  if (config.shared_mode == SharedMode::addressed && config.pass_stderr) {
    fail("--passstderr cannot be used with --shared=addressed (stdout carries the protocol)");
  }
}

}  // namespace wsexec
