#pragma once
// A shared program's environment: the server-level part of the CGI
// environment (it serves many clients, so nothing about any one of them),
// the --passenv variables, and WSEXEC_SHARED with its mode. Per-client
// facts reach an addressed program in its "open" events instead. Pure.
#include <string>
#include <vector>

#include "core/cgi_env.hpp"

namespace wsexec {

struct SharedProgramFacts {
  std::string mode;             // "broadcast" or "addressed"
  std::string script_name;      // SCRIPT_NAME: "/" for the command, the script's path with --dir
  std::string path_translated;  // PATH_TRANSLATED
  unsigned local_port = 0;      // SERVER_PORT: the port the first client came in on
  bool https = false;           // HTTPS=on under --ssl
};

// "NAME=value" entries, sorted by name: the passenv variables present in
// the parent environment, SERVER_SOFTWARE, SERVER_PORT, SERVER_PROTOCOL,
// GATEWAY_INTERFACE, SCRIPT_NAME, PATH_TRANSLATED, HTTPS (when on) and
// WSEXEC_SHARED. A server-level variable wins over a passenv one of the same
// name; every variable that describes one request or client (REMOTE_*,
// REQUEST_*, QUERY_STRING, UNIQUE_ID, HTTP_*...) is absent, even when the
// parent has it.
std::vector<std::string> build_shared_environment(const SharedProgramFacts& facts,
                                                  const EnvironmentInputs& inputs);

}  // namespace wsexec
