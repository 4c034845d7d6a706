#include "http/connection_info.hpp"

#include "server/server_state.hpp"

namespace wsexec {

std::optional<std::string_view> find_header(const RequestHead& request,
                                            boost::beast::http::field field) {
  const auto found = request.find(field);
  if (found == request.end()) return std::nullopt;
  return found->value();
}

RequestFacts request_facts(const RequestHead& request, const PeerInfo& peer,
                           const ScriptTarget& target, const std::string& connection_id,
                           const std::string& remote_host) {
  RequestFacts facts;
  facts.method = std::string(request.method_string());
  facts.target = std::string(request.target());
  for (const auto& field : request) {
    facts.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  facts.remote_addr = peer.remote_address;
  facts.remote_host = remote_host;
  facts.remote_port = peer.remote_port;
  facts.local_port = peer.local_port;
  facts.unique_id = connection_id;
  facts.https = peer.tls;
  facts.tls_client_subject = peer.client_subject;
  facts.script_name = target.script_name;
  facts.path_info = target.path_info;
  facts.path_translated = target.path_translated;
  return facts;
}

void add_plain_response_headers(boost::beast::http::fields& fields, const Config& config,
                                const std::string& server_software) {
  fields.set(boost::beast::http::field::server, server_software);
  for (const auto& header : config.headers) fields.insert(header.name, header.value);
  for (const auto& header : config.headers_http) fields.insert(header.name, header.value);
}

SpawnRequest spawn_request_for(const ScriptTarget& target, const RequestFacts& facts,
                               const ServerState& state) {
  SpawnRequest spawn;
  spawn.executable = target.executable;
  spawn.argv = target.argv;
  spawn.environment = build_child_environment(facts, state.child_environment);
  return spawn;
}

}  // namespace wsexec
