#pragma once
// Which shared program a client belongs to (the registry's key) and how to
// start it: the endpoint's program with the server-level environment
// (core/shared_env), never one client's.
#include <string>

#include "process/spawn_request.hpp"

namespace wsexec {

struct PeerInfo;
struct ScriptTarget;
struct ServerState;

struct SharedLaunch {
  std::string key;  // one program per endpoint: the script's path (or the command)
  SpawnRequest request;
};

SharedLaunch shared_launch(const ScriptTarget& target, const PeerInfo& peer,
                           const ServerState& state);

}  // namespace wsexec
