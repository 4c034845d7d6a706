#include "http/request_facts.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

#include "core/url_path.hpp"
#include "server/server_state.hpp"

namespace wsexec {
namespace {

namespace http = boost::beast::http;

HttpMethod method_of(const RequestHead& request) {
  switch (request.method()) {
    case http::verb::get:
      return HttpMethod::get;
    case http::verb::head:
      return HttpMethod::head;
    default:
      return HttpMethod::other;
  }
}

}  // namespace

RequestHeadFacts head_facts(const RequestHead& request, bool on_redirect_listener) {
  RequestHeadFacts facts;
  facts.method = method_of(request);
  facts.target = request.target();
  facts.websocket_upgrade = boost::beast::websocket::is_upgrade(request);
  facts.http_version = request.version();
  facts.host = find_header(request, http::field::host);
  facts.host_count = request.count(http::field::host);
  facts.origin = find_header(request, http::field::origin);
  facts.websocket_key = find_header(request, http::field::sec_websocket_key);
  facts.websocket_key_count = request.count(http::field::sec_websocket_key);
  facts.on_redirect_listener = on_redirect_listener;
  return facts;
}

RouterSettings router_settings_for(const ServerState& state) {
  RouterSettings settings;
  settings.has_command = !state.config.command.empty();
  if (state.script_dir) settings.script_dir = state.script_dir->lookup();
  if (state.static_dir) settings.static_dir = state.static_dir->lookup();
  if (state.cgi_dir) settings.cgi_dir = state.cgi_dir->lookup();
  if (state.static_dir && state.cgi_dir) {
    settings.inside_cgi_dir = [&state](const std::string& static_relative) {
      return state.cgi_dir->contains(state.static_dir->absolute(static_relative));
    };
  }
  settings.dev_console = state.config.dev_console;
  settings.origin_policy = &state.config.origin_policy;
  settings.port = state.config.port;
  settings.tls = state.config.tls;
  return settings;
}

ScriptTarget command_target(const ServerState& state, const RequestHead& request) {
  ScriptTarget target;
  target.executable = state.executable;
  target.argv.push_back(state.config.command);
  target.argv.insert(target.argv.end(), state.config.command_args.begin(),
                     state.config.command_args.end());
  target.script_name = "/";
  target.path_info = std::string(split_target(request.target()).first);
  target.path_translated = target.path_info;
  return target;
}

ScriptTarget script_target(const ServedDirectory& directory, const ScriptRoute& route,
                           const RequestHead& request) {
  ScriptTarget target;
  target.executable = directory.absolute(route.relative_path);
  target.argv.push_back(target.executable);
  target.script_name = route.script_name;
  target.path_info = route.path_info;
  // As websocketd does: the URL path (there is no document root to map to).
  target.path_translated = std::string(split_target(request.target()).first);
  return target;
}

}  // namespace wsexec
