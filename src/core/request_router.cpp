#include "core/request_router.hpp"

#include "core/websocket_key.hpp"

#include "core/cgi_env.hpp"
#include "core/static_resolver.hpp"
#include "core/url_path.hpp"

namespace wsexec {
namespace {

using Action = RouteDecision::Action;

RouteDecision refuse(unsigned status) {
  RouteDecision decision;
  decision.action = Action::refuse;
  decision.status = status;
  return decision;
}

RouteDecision redirect(std::string location) {
  RouteDecision decision;
  decision.action = Action::redirect;
  decision.status = 301;
  decision.location = std::move(location);
  return decision;
}

RouteDecision get_or_head_only() {
  RouteDecision decision = refuse(405);
  decision.allow = "GET, HEAD";
  return decision;
}

bool is_get_or_head(HttpMethod method) {
  return method == HttpMethod::get || method == HttpMethod::head;
}

RouteDecision to_canonical_url(const RequestHeadFacts& request, const RouterSettings& settings) {
  const auto [host, port] = split_host_header(request.host.value_or(""));
  const std::string name = host.empty() ? "localhost" : host;
  const unsigned default_port = settings.tls ? 443 : 80;
  std::string location = std::string(settings.tls ? "https://" : "http://") +
                         (name.find(':') != std::string::npos ? "[" + name + "]" : name);
  if (settings.port != default_port) location += ":" + std::to_string(settings.port);
  location += request.target;
  return redirect(std::move(location));
}

// A path with ".." segments is answered before any lookup: 301 to where it
// leads when that stays inside the served directory (as websocketd's router
// does), 403 when it climbs out. nullopt: no ".." segment, route as it is.
std::optional<RouteDecision> dot_dot_decision(std::string_view target) {
  const auto [path, query] = split_target(target);
  const DotSegmentResult resolved = resolve_dot_segments(path);
  switch (resolved.outcome) {
    case DotSegmentResult::Outcome::unchanged:
      return std::nullopt;
    case DotSegmentResult::Outcome::escapes:
      return refuse(403);
    case DotSegmentResult::Outcome::resolved:
      break;
  }
  std::string location = resolved.path;
  if (!query.empty()) location += "?" + std::string(query);
  return redirect(std::move(location));
}

RouteDecision upgrade(const RequestHeadFacts& request, const RouterSettings& settings) {
  if (settings.origin_policy &&
      !origin_allowed(*settings.origin_policy, request.origin, request.host.value_or(""))) {
    RouteDecision decision = refuse(403);
    decision.log_detail = "origin:'" + std::string(request.origin.value_or("")) + "'";
    return decision;
  }
  if (settings.script_dir) {
    if (auto decided = dot_dot_decision(request.target)) return *decided;
    const RouteResult route =
        route_to_script(split_target(request.target).first, settings.script_dir);
    if (route.outcome == RouteResult::Outcome::forbidden) return refuse(403);
    if (route.outcome == RouteResult::Outcome::not_found) return refuse(404);
    RouteDecision decision;
    decision.action = Action::upgrade_script;
    decision.script = route.route;
    return decision;
  }
  if (settings.has_command) {
    RouteDecision decision;
    decision.action = Action::upgrade_command;
    return decision;
  }
  return refuse(404);
}

RouteDecision static_file(const RequestHeadFacts& request, const RouterSettings& settings) {
  if (!is_get_or_head(request.method)) return get_or_head_only();
  const auto [path, query] = split_target(request.target);
  StaticResult found = resolve_static(path, query, settings.static_dir);
  switch (found.outcome) {
    case StaticResult::Outcome::file: {
      if (settings.inside_cgi_dir && settings.inside_cgi_dir(found.relative_path)) {
        return refuse(403);
      }
      RouteDecision decision;
      decision.action = Action::static_file;
      decision.file = std::move(found.relative_path);
      return decision;
    }
    case StaticResult::Outcome::redirect:
      return redirect(std::move(found.location));
    case StaticResult::Outcome::forbidden:
      return refuse(403);
    case StaticResult::Outcome::not_found:
      break;
  }
  return refuse(404);
}

RouteDecision plain(const RequestHeadFacts& request, const RouterSettings& settings) {
  if (split_target(request.target).first == kClientScriptPath) {
    if (!is_get_or_head(request.method)) return get_or_head_only();
    RouteDecision decision;
    decision.action = Action::client_script;
    return decision;
  }
  if (settings.dev_console) {
    if (!is_get_or_head(request.method)) return get_or_head_only();
    RouteDecision decision;
    decision.action = Action::dev_console;
    return decision;
  }
  if (!settings.cgi_dir && !settings.static_dir) return refuse(404);
  if (auto decided = dot_dot_decision(request.target)) return *decided;
  bool cgi_forbidden = false;
  if (settings.cgi_dir) {
    const RouteResult route = route_to_script(split_target(request.target).first, settings.cgi_dir);
    if (route.outcome == RouteResult::Outcome::script) {
      RouteDecision decision;
      decision.action = Action::cgi;
      decision.script = route.route;
      return decision;
    }
    cgi_forbidden = route.outcome == RouteResult::Outcome::forbidden;
  }
  // Without --staticdir, a path that tries to leave --cgidir gets 403, as
  // under --dir; with it, the static resolver decides.
  if (!settings.static_dir) return refuse(cgi_forbidden ? 403 : 404);
  return static_file(request, settings);
}

// A target is ASCII by RFC 3986 (anything else travels percent-encoded) and,
// once the absolute form is split off, is an absolute path ("origin form"),
// or "*" for a method that is neither GET nor HEAD (RFC 9112 section 3.2.4).
// Beast lets bytes from 0x80 up through (it follows the old obs-text
// leniency), and "a/b", "ftp://h/x" or "h:443" otherwise reach the routers
// as paths and come back 403 or 404, as if the request had been understood.
bool target_is_well_formed(std::string_view target, HttpMethod method) {
  for (const char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
  }
  if (target == "*") return !is_get_or_head(method);
  return !target.empty() && target.front() == '/';
}

// Host is how a server tells its sites apart; a head with two, or an
// HTTP/1.1 head with none, is ambiguous, and RFC 9112 requires 400. An
// upgrade must carry exactly one valid key: Beast checks only its length.
bool head_is_well_formed(const RequestHeadFacts& request) {
  if (!target_is_well_formed(request.target, request.method)) return false;
  if (request.host_count > 1 || (request.http_version >= 11 && request.host_count == 0)) {
    return false;
  }
  if (!request.websocket_upgrade) return true;
  return request.websocket_key_count == 1 && request.websocket_key &&
         is_valid_websocket_key(*request.websocket_key);
}

}  // namespace

RouteDecision route_request(const RequestHeadFacts& request, const RouterSettings& settings) {
  if (!head_is_well_formed(request)) return refuse(400);
  if (request.on_redirect_listener) return to_canonical_url(request, settings);
  if (request.websocket_upgrade || request.event_stream) return upgrade(request, settings);
  return plain(request, settings);
}

}  // namespace wsexec
