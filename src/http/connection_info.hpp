#pragma once
// What the HTTP layer knows about a connection and a request, shared by the
// WebSocket session and the CGI runner. Beast's HTTP message types are in
// this header: include it only where requests are handled.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include "core/cgi_env.hpp"
#include "core/config.hpp"
#include "process/spawn_request.hpp"

namespace wsexec {

struct ServerState;

// Facts about the connection, known before the request is read.
struct PeerInfo {
  std::string remote_address;  // no brackets; "unix:" on a Unix socket
  unsigned remote_port = 0;
  unsigned local_port = 0;
  bool tls = false;
  std::string client_subject;  // the TLS client certificate's subject, if any
};

// What a request runs: the command, or the script --dir or --cgidir chose,
// with the CGI names for it.
struct ScriptTarget {
  std::string executable;         // the path to execute
  std::vector<std::string> argv;  // argv[0] included
  std::string script_name;        // SCRIPT_NAME
  std::string path_info;          // PATH_INFO
  std::string path_translated;    // PATH_TRANSLATED
};

using RequestHead = boost::beast::http::request<boost::beast::http::empty_body>;

// The value of `field` in the request, if it has one.
std::optional<std::string_view> find_header(const RequestHead& request,
                                            boost::beast::http::field field);

// The facts build_child_environment() needs, from the request head.
RequestFacts request_facts(const RequestHead& request, const PeerInfo& peer,
                           const ScriptTarget& target, const std::string& connection_id,
                           const std::string& remote_host);

// What to start for `target`: its program and arguments, with the CGI
// environment built from `facts` and the server's --passenv variables. One
// recipe for WebSocket programs and CGI scripts.
SpawnRequest spawn_request_for(const ScriptTarget& target, const RequestFacts& facts,
                               const ServerState& state);

// Server, --header and --header-http, for every plain HTTP response.
void add_plain_response_headers(boost::beast::http::fields& fields, const Config& config,
                                const std::string& server_software);

}  // namespace wsexec
