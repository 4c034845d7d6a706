#include "core/cgi_env.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

namespace wsexec {
namespace {

// One variable on its way into the environment, already in its final
// "NAME=value" form so that it costs one allocation (none when short).
// Several sources may name the same variable; the one from the later source
// wins: the parent's --passenv values, then the request's headers, then the
// meta-variables. `order` is the position in that sequence, so a sort by
// (name, order) leaves the winner last among its equals.
struct Variable {
  std::string entry;
  std::size_t name_length = 0;
  std::size_t order = 0;

  std::string_view name() const { return std::string_view(entry).substr(0, name_length); }
  std::string_view value() const { return std::string_view(entry).substr(name_length + 1); }
};

class VariableList {
 public:
  void add(std::string_view name, std::string_view value) {
    std::string entry;
    entry.reserve(name.size() + 1 + value.size());
    entry.append(name).append(1, '=').append(value);
    add_entry(std::move(entry), name.size());
  }

  void add_entry(std::string entry, std::size_t name_length) {
    variables_.push_back(Variable{std::move(entry), name_length, variables_.size()});
  }

  std::vector<Variable>& variables() { return variables_; }

 private:
  std::vector<Variable> variables_;
};

bool by_name_then_order(const Variable& a, const Variable& b) {
  const int names = a.name().compare(b.name());
  return names != 0 ? names < 0 : a.order < b.order;
}

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

void add_passenv(const EnvironmentInputs& inputs, VariableList& env) {
  for (const std::string& name : inputs.passenv) {
    // HTTPS and SSL_CLIENT_S_DN describe this connection's TLS; a parent's
    // value would lie.
    if (name.empty() || name == "HTTPS" || name == "SSL_CLIENT_S_DN") continue;
    if (name == "WEBSOCKET_PROTOCOL") continue;  // describes this connection too
    if (auto value = parent_value(inputs.parent_environment, name)) env.add(name, *value);
  }
}

// A header value must stay one line in the environment, and execve() would
// cut it at a NUL. Appended to `entry`, surrounding blanks trimmed as
// websocketd trims them (after the replacement: "\r\nc\r\n" is "c").
void append_clean_header_value(std::string& entry, std::string_view value) {
  const std::size_t from = entry.size();
  for (char c : value) entry.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
  const std::string_view added = std::string_view(entry).substr(from);
  const auto first = added.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    entry.resize(from);
    return;
  }
  entry.resize(from + added.find_last_not_of(" \t") + 1);
  entry.erase(from, first);
}

// A name with '=' or NUL cannot be an environment name; an HTTP parser would
// have refused it anyway.
bool usable_header_name(std::string_view name) {
  return !name.empty() && name.find_first_of(std::string_view("=\0", 2)) == std::string_view::npos;
}

// HTTP_<NAME> for every header, repeats joined with ", " in the order
// received: sorted by name and arrival, then each run of one name joined.
void add_headers(const RequestFacts& request, VariableList& env) {
  std::vector<Variable> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    if (!usable_header_name(name)) continue;
    std::string entry;
    entry.reserve(5 + name.size() + 1 + value.size());
    entry.append("HTTP_");
    for (char c : name) entry.push_back(c == '-' ? '_' : to_upper(c));
    // "httpoxy": a client's "Proxy:" header would become HTTP_PROXY, which
    // curl, Python, Go and others in the child read as their proxy setting.
    if (entry == "HTTP_PROXY") continue;
    const std::size_t name_length = entry.size();
    entry.push_back('=');
    append_clean_header_value(entry, value);
    headers.push_back(Variable{std::move(entry), name_length, headers.size()});
  }
  std::sort(headers.begin(), headers.end(), by_name_then_order);
  for (auto first = headers.begin(); first != headers.end();) {
    auto next = first + 1;
    for (; next != headers.end() && next->name() == first->name(); ++next) {
      first->entry.append(", ").append(next->value());
    }
    env.add_entry(std::move(first->entry), first->name_length);
    first = next;
  }
}

std::string_view host_header(const RequestFacts& request) {
  for (const auto& [name, value] : request.headers) {
    if (equals_ignoring_case(name, "Host")) return trim(value);
  }
  return {};
}

std::string_view query_string(std::string_view target) {
  const auto question = target.find('?');
  return question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
}

void add_meta_variables(const RequestFacts& request, const EnvironmentInputs& inputs,
                        VariableList& env) {
  auto [server_name, server_port] = split_host_header(host_header(request));
  if (server_port.empty()) server_port = std::to_string(request.local_port);

  env.add("SERVER_SOFTWARE", inputs.server_software);
  env.add("REMOTE_ADDR", request.remote_addr);
  env.add("REMOTE_HOST", request.remote_host);
  env.add("REMOTE_PORT", std::to_string(request.remote_port));
  env.add("SERVER_NAME", server_name);
  env.add("SERVER_PORT", server_port);
  env.add("SERVER_PROTOCOL", "HTTP/1.1");
  env.add("GATEWAY_INTERFACE", "CGI/1.1");
  env.add("REQUEST_METHOD", request.method);
  env.add("REQUEST_URI", request.target);
  env.add("SCRIPT_NAME", request.script_name);
  env.add("PATH_INFO", request.path_info);
  env.add("PATH_TRANSLATED", request.path_translated);
  env.add("QUERY_STRING", query_string(request.target));
  env.add("UNIQUE_ID", request.unique_id);
  if (request.https) env.add("HTTPS", "on");
  if (request.https && !request.tls_client_subject.empty()) {
    env.add("SSL_CLIENT_S_DN", request.tls_client_subject);
  }
  if (!request.websocket_protocol.empty()) {
    env.add("WEBSOCKET_PROTOCOL", request.websocket_protocol);
  }
  // Set empty so that values in the parent's environment cannot leak in.
  for (const char* name : {"AUTH_TYPE", "REMOTE_IDENT", "REMOTE_USER"}) env.add(name, "");
  // A CGI request's body; empty for WebSocket connections, which have none.
  env.add("CONTENT_LENGTH", request.content_length);
  env.add("CONTENT_TYPE", request.content_type);
}

}  // namespace

std::vector<std::string> build_child_environment(const RequestFacts& request,
                                                 const EnvironmentInputs& inputs) {
  constexpr std::size_t kMostMetaVariables = 23;  // add_meta_variables: 20 always, 3 at times
  VariableList env;
  env.variables().reserve(inputs.passenv.size() + request.headers.size() + kMostMetaVariables);
  add_passenv(inputs, env);
  add_headers(request, env);
  add_meta_variables(request, inputs, env);
  std::vector<Variable>& variables = env.variables();
  std::sort(variables.begin(), variables.end(), by_name_then_order);
  std::vector<std::string> entries;
  entries.reserve(variables.size());
  for (auto it = variables.begin(); it != variables.end(); ++it) {
    const bool overridden = it + 1 != variables.end() && (it + 1)->name() == it->name();
    if (!overridden) entries.push_back(std::move(it->entry));
  }
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
