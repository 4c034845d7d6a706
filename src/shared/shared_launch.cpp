#include "shared/shared_launch.hpp"

#include "core/shared_env.hpp"
#include "http/connection_info.hpp"
#include "server/server_state.hpp"

namespace wsexec {

SharedLaunch shared_launch(const ScriptTarget& target, const PeerInfo& peer,
                           const ServerState& state) {
  SharedProgramFacts facts;
  facts.mode = state.config.shared_mode == SharedMode::addressed ? "addressed" : "broadcast";
  facts.script_name = target.script_name;
  facts.path_translated = target.path_translated;
  facts.local_port = peer.local_port;
  facts.https = peer.tls;
  SharedLaunch launch;
  launch.key = target.executable;
  launch.request.executable = target.executable;
  launch.request.argv = target.argv;
  launch.request.environment = build_shared_environment(facts, state.child_environment);
  return launch;
}

}  // namespace wsexec
