// The request router against in-memory trees: the first bytes choose the
// head's facts and the configuration, the rest is the target. Every decision
// must be one the router documents, the directories must only be asked
// about clean relative paths, and what it serves must lie where it says.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/request_router.hpp"
#include "core/url_path.hpp"
#include "fake_tree.hpp"
#include "fuzz_check.hpp"
#include "tree_contract.hpp"

using namespace wsexec;

namespace {

bool bit(std::uint8_t byte, int n) {
  return (byte >> n) & 1;
}

bool is_clean(std::string_view target) {
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t facts_byte = data[0];
  const std::uint8_t settings_byte = data[1];
  const std::string_view target(reinterpret_cast<const char*>(data + 2), size - 2);

  FakeTree script_tree = fuzz_tree();
  FakeTree static_tree = fuzz_tree();
  FakeTree cgi_tree = fuzz_tree();
  RouterSettings settings;
  settings.has_command = bit(settings_byte, 0);
  if (bit(settings_byte, 1)) settings.script_dir = script_tree.lookup();
  if (bit(settings_byte, 2)) settings.static_dir = static_tree.lookup();
  if (bit(settings_byte, 3)) settings.cgi_dir = cgi_tree.lookup();
  settings.dev_console = bit(settings_byte, 4);
  settings.tls = bit(settings_byte, 5);
  settings.port = bit(settings_byte, 6) ? 8443 : 443;

  RequestHeadFacts request;
  request.method = bit(facts_byte, 0)   ? HttpMethod::get
                   : bit(facts_byte, 1) ? HttpMethod::head
                                        : HttpMethod::other;
  request.target = target;
  request.websocket_upgrade = bit(facts_byte, 2);
  request.on_redirect_listener = bit(facts_byte, 3);
  request.http_version = bit(facts_byte, 4) ? 10 : 11;
  request.host_count = bit(facts_byte, 5) ? 0 : (bit(facts_byte, 6) ? 2 : 1);
  if (request.host_count > 0) request.host = "example.com:8080";
  request.websocket_key_count = bit(facts_byte, 7) ? 1 : 0;
  if (request.websocket_key_count) request.websocket_key = "dGhlIHNhbXBsZSBub25jZQ==";

  const RouteDecision decision = route_request(request, settings);

  for (FakeTree* tree : {&script_tree, &static_tree, &cgi_tree}) {
    for (const std::string& asked : tree->asked()) check_lookup_contract(asked);
  }
  using Action = RouteDecision::Action;
  switch (decision.action) {
    case Action::refuse:
      FUZZ_CHECK(decision.status == 400 || decision.status == 403 || decision.status == 404 ||
                 decision.status == 405);
      FUZZ_CHECK(decision.status != 405 || !decision.allow.empty());
      break;
    case Action::redirect:
      FUZZ_CHECK(decision.status == 301);
      FUZZ_CHECK(!decision.location.empty());
      // Beast lets no control character or space into a target; from such a
      // target, none may reach the Location header either.
      if (is_clean(target)) {
        for (char c : decision.location) FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20);
      }
      break;
    case Action::upgrade_command:
      FUZZ_CHECK(request.websocket_upgrade && settings.has_command);
      break;
    case Action::upgrade_script:
      FUZZ_CHECK(request.websocket_upgrade && settings.script_dir);
      check_lookup_contract(decision.script.relative_path);
      FUZZ_CHECK(script_tree.lookup()(decision.script.relative_path) == EntryKind::executable_file);
      break;
    case Action::cgi:
      FUZZ_CHECK(!request.websocket_upgrade && settings.cgi_dir);
      check_lookup_contract(decision.script.relative_path);
      FUZZ_CHECK(cgi_tree.lookup()(decision.script.relative_path) == EntryKind::executable_file);
      break;
    case Action::static_file:
      FUZZ_CHECK(!request.websocket_upgrade && settings.static_dir);
      FUZZ_CHECK(request.method != HttpMethod::other);
      check_lookup_contract(decision.file);
      break;
    case Action::dev_console:
      FUZZ_CHECK(!request.websocket_upgrade && settings.dev_console);
      FUZZ_CHECK(request.method != HttpMethod::other);
      break;
    case Action::client_script:  // only its one path, only GET and HEAD
      FUZZ_CHECK(!request.websocket_upgrade);
      FUZZ_CHECK(request.method != HttpMethod::other);
      FUZZ_CHECK(target.starts_with(kClientScriptPath));
      break;
  }
  // A malformed head is refused before anything else is decided. A target
  // is malformed when it is not printable ASCII, or not an absolute path
  // ("*" aside, which only methods other than GET and HEAD may use).
  bool printable_ascii = true;
  for (char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    printable_ascii = printable_ascii && byte > 0x20 && byte < 0x7f;
  }
  const bool asterisk_allowed = target == "*" && request.method == HttpMethod::other;
  const bool bad_target =
      !printable_ascii || (!asterisk_allowed && (target.empty() || target[0] != '/'));
  if (bad_target) FUZZ_CHECK(decision.action == Action::refuse && decision.status == 400);
  const bool malformed = request.host_count == 2 ||
                         (request.http_version == 11 && request.host_count == 0) ||
                         (request.websocket_upgrade && request.websocket_key_count != 1);
  if (malformed) FUZZ_CHECK(decision.action == Action::refuse && decision.status == 400);
  return 0;
}
