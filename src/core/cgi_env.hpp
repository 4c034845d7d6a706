#pragma once
// The child's environment: CGI/1.1 meta-variables built from the request and
// the connection, plus the --passenv variables of our own environment.
// Pure: the caller passes everything in, nothing is read from the process.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsexec {

struct RequestFacts {
  std::string method;  // "GET"
  std::string target;  // request target as sent: path and query
  std::vector<std::pair<std::string, std::string>> headers;  // in order received, names as sent
  std::string remote_addr;                                   // "127.0.0.1" or "::1" (no brackets)
  std::string remote_host;                                   // reverse DNS name, or remote_addr
  unsigned remote_port = 0;
  unsigned local_port = 0;  // port the connection arrived on (when Host has none)
  bool https = false;
  std::string tls_client_subject;  // SSL_CLIENT_S_DN when a client certificate was verified
  std::string content_length;      // CGI requests: the body's length ("" when none)
  std::string content_type;        // CGI requests: the body's Content-Type
  std::string unique_id;           // per-connection id (also in the log)
  std::string script_name;         // URL path of the script ("/" in single-command mode)
  std::string path_info;           // what follows script_name in the path
  std::string path_translated;
  std::string websocket_protocol;  // the subprotocol chosen for the connection ("" when none)
};

struct EnvironmentInputs {
  std::string server_software;                  // "wsexec/0.1.0"
  std::vector<std::string> passenv;             // names from --passenv
  std::vector<std::string> parent_environment;  // "NAME=value" entries of our environ
};

// Returns "NAME=value" entries, no duplicates: the passenv variables that
// exist in the parent environment, SERVER_SOFTWARE, REMOTE_ADDR, REMOTE_HOST,
// REMOTE_PORT, SERVER_NAME and SERVER_PORT (from Host; SERVER_PORT falls back
// to local_port), SERVER_PROTOCOL=HTTP/1.1, GATEWAY_INTERFACE=CGI/1.1,
// REQUEST_METHOD, REQUEST_URI, SCRIPT_NAME, PATH_INFO, PATH_TRANSLATED,
// QUERY_STRING, UNIQUE_ID, HTTPS=on when https (and SSL_CLIENT_S_DN with a
// client certificate), CONTENT_LENGTH and CONTENT_TYPE (of a CGI request's
// body; empty otherwise), AUTH_TYPE, REMOTE_IDENT, REMOTE_USER (empty), and HTTP_<NAME> for every
// request header (upper case, '-' -> '_', repeats joined with ", ", CR and
// LF replaced by spaces, surrounding blanks trimmed as websocketd does). A
// meta-variable wins over a passenv variable of the same name, and HTTPS is
// never taken from the parent (it would misstate the connection). Sorted by
// name. WEBSOCKET_PROTOCOL is the chosen subprotocol, absent when none was
// chosen (like HTTPS), and never taken from the parent either.
std::vector<std::string> build_child_environment(const RequestFacts& request,
                                                 const EnvironmentInputs& inputs);

// Splits a Host header value into name and port ("[::1]:8080" -> "::1", "8080";
// "example.com" -> "example.com", "").
std::pair<std::string, std::string> split_host_header(std::string_view host);

}  // namespace wsexec
