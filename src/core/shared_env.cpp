#include "core/shared_env.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace wsexec {
namespace {

// What build_child_environment() sets that describes one request or one
// client, not the server: a shared program serves many of both.
constexpr std::array<std::string_view, 16> kPerClientVariables = {
    "AUTH_TYPE",    "CONTENT_LENGTH",  "CONTENT_TYPE",   "PATH_INFO",
    "QUERY_STRING", "REMOTE_ADDR",     "REMOTE_HOST",    "REMOTE_IDENT",
    "REMOTE_PORT",  "REMOTE_USER",     "REQUEST_METHOD", "REQUEST_URI",
    "SERVER_NAME",  "SSL_CLIENT_S_DN", "UNIQUE_ID",      "WSEXEC_SHARED"};

std::string_view name_of(std::string_view entry) {
  return entry.substr(0, entry.find('='));
}

bool describes_one_client(std::string_view name) {
  return name.starts_with("HTTP_") ||
         std::find(kPerClientVariables.begin(), kPerClientVariables.end(), name) !=
             kPerClientVariables.end();
}

}  // namespace

std::vector<std::string> build_shared_environment(const SharedProgramFacts& facts,
                                                  const EnvironmentInputs& inputs) {
  // The CGI recipe, fed only server-level facts (no headers, no client),
  // so passenv and precedence behave exactly as for a per-client program.
  RequestFacts server_level;
  server_level.script_name = facts.script_name;
  server_level.path_translated = facts.path_translated;
  server_level.local_port = facts.local_port;
  server_level.https = facts.https;
  std::vector<std::string> environment = build_child_environment(server_level, inputs);
  std::erase_if(environment,
                [](const std::string& entry) { return describes_one_client(name_of(entry)); });
  const std::string shared = "WSEXEC_SHARED=" + facts.mode;
  environment.insert(std::upper_bound(environment.begin(), environment.end(), shared), shared);
  return environment;
}

}  // namespace wsexec
