#include "core/cgi_env.hpp"

#include <algorithm>
#include <map>
#include <optional>

namespace wsexec {
namespace {

// Sorted by name, which also makes a later assignment replace an earlier one.
using Environment = std::map<std::string, std::string>;

char to_upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return to_upper(x) == to_upper(y); });
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::optional<std::string_view> parent_value(const std::vector<std::string>& parent,
                                             std::string_view name) {
  for (const std::string& entry : parent) {
    const std::string_view view(entry);
    if (view.size() > name.size() && view.starts_with(name) && view[name.size()] == '=') {
      return view.substr(name.size() + 1);
    }
  }
  return std::nullopt;
}

void add_passenv(const EnvironmentInputs& inputs, Environment& env) {
  for (const std::string& name : inputs.passenv) {
    // HTTPS and SSL_CLIENT_S_DN describe this connection's TLS; a parent's
    // value would lie.
    if (name.empty() || name == "HTTPS" || name == "SSL_CLIENT_S_DN") continue;
    if (name == "WEBSOCKET_PROTOCOL") continue;  // describes this connection too
    if (auto value = parent_value(inputs.parent_environment, name)) env[name] = *value;
  }
}

std::string header_variable_name(std::string_view header) {
  std::string name = "HTTP_";
  for (char c : header) name.push_back(c == '-' ? '_' : to_upper(c));
  return name;
}

// A header value must stay one line in the environment, and execve() would
// cut it at a NUL.
std::string clean_header_value(std::string_view value) {
  std::string clean(value);
  std::replace_if(
      clean.begin(), clean.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; }, ' ');
  return std::string(trim(clean));
}

// A name with '=' or NUL cannot be an environment name; an HTTP parser would
// have refused it anyway.
bool usable_header_name(std::string_view name) {
  return !name.empty() && name.find_first_of(std::string_view("=\0", 2)) == std::string_view::npos;
}

void add_headers(const RequestFacts& request, Environment& env) {
  Environment joined;
  for (const auto& [name, value] : request.headers) {
    if (!usable_header_name(name)) continue;
    std::string variable = header_variable_name(name);
    // "httpoxy": a client's "Proxy:" header would become HTTP_PROXY, which
    // curl, Python, Go and others in the child read as their proxy setting.
    if (variable == "HTTP_PROXY") continue;
    const auto [it, inserted] = joined.try_emplace(std::move(variable));
    if (!inserted) it->second.append(", ");
    it->second.append(clean_header_value(value));
  }
  for (auto& [name, value] : joined) env[name] = std::move(value);
}

std::string_view host_header(const RequestFacts& request) {
  for (const auto& [name, value] : request.headers) {
    if (equals_ignoring_case(name, "Host")) return trim(value);
  }
  return {};
}

std::string query_string(std::string_view target) {
  const auto question = target.find('?');
  return question == std::string_view::npos ? std::string()
                                            : std::string(target.substr(question + 1));
}

void add_meta_variables(const RequestFacts& request, const EnvironmentInputs& inputs,
                        Environment& env) {
  auto [server_name, server_port] = split_host_header(host_header(request));
  if (server_port.empty()) server_port = std::to_string(request.local_port);

  env["SERVER_SOFTWARE"] = inputs.server_software;
  env["REMOTE_ADDR"] = request.remote_addr;
  env["REMOTE_HOST"] = request.remote_host;
  env["REMOTE_PORT"] = std::to_string(request.remote_port);
  env["SERVER_NAME"] = server_name;
  env["SERVER_PORT"] = server_port;
  env["SERVER_PROTOCOL"] = "HTTP/1.1";
  env["GATEWAY_INTERFACE"] = "CGI/1.1";
  env["REQUEST_METHOD"] = request.method;
  env["REQUEST_URI"] = request.target;
  env["SCRIPT_NAME"] = request.script_name;
  env["PATH_INFO"] = request.path_info;
  env["PATH_TRANSLATED"] = request.path_translated;
  env["QUERY_STRING"] = query_string(request.target);
  env["UNIQUE_ID"] = request.unique_id;
  if (request.https) env["HTTPS"] = "on";
  if (request.https && !request.tls_client_subject.empty()) {
    env["SSL_CLIENT_S_DN"] = request.tls_client_subject;
  }
  if (!request.websocket_protocol.empty()) env["WEBSOCKET_PROTOCOL"] = request.websocket_protocol;
  // Set empty so that values in the parent's environment cannot leak in.
  for (const char* name : {"AUTH_TYPE", "REMOTE_IDENT", "REMOTE_USER"}) env[name] = "";
  // A CGI request's body; empty for WebSocket connections, which have none.
  env["CONTENT_LENGTH"] = request.content_length;
  env["CONTENT_TYPE"] = request.content_type;
}

}  // namespace

std::vector<std::string> build_child_environment(const RequestFacts& request,
                                                 const EnvironmentInputs& inputs) {
  Environment env;
  add_passenv(inputs, env);
  add_headers(request, env);
  add_meta_variables(request, inputs, env);
  std::vector<std::string> entries;
  entries.reserve(env.size());
  for (const auto& [name, value] : env) entries.push_back(name + "=" + value);
  return entries;
}

std::pair<std::string, std::string> split_host_header(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close != std::string_view::npos) {
      const std::string_view rest = host.substr(close + 1);
      const std::string_view port = rest.starts_with(':') ? rest.substr(1) : std::string_view();
      return {std::string(host.substr(1, close - 1)), std::string(port)};
    }
  }
  const auto colon = host.rfind(':');
  // Two colons without brackets is a bare IPv6 address, not name and port.
  if (colon == std::string_view::npos || host.find(':') != colon) return {std::string(host), ""};
  return {std::string(host.substr(0, colon)), std::string(host.substr(colon + 1))};
}

}  // namespace wsexec
