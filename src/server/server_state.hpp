#pragma once
// What every connection shares, whatever thread it runs on: the validated
// configuration, the resolved command, the spawner, and a few atomic
// counters.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/cgi_env.hpp"
#include "core/config.hpp"
#include "http/served_directory.hpp"
#include "server/fork_slot.hpp"

namespace wsexec {

class Spawner;
class SharedRegistry;
class SseRegistry;

struct ServerState {
  // Throws ConfigError for a --dir, --staticdir or --cgidir that is not a
  // readable directory. Starts the spawner's threads (one per worker).
  ServerState(Config config_in, std::string executable_in,
              std::vector<std::string> parent_environment_in);
  ~ServerState();

  const Config config;
  const std::string executable;       // the command, resolved at start-up
  const std::string server_software;  // "wsexec/VERSION"
  // What every child's environment starts from besides its request:
  // SERVER_SOFTWARE, --passenv and our environ (read once). Kept here so a
  // connection reads it in place instead of copying our environ each time.
  const EnvironmentInputs child_environment;
  // --dir, --staticdir and --cgidir, resolved at start-up (ConfigError if
  // one is not a readable directory).
  const std::optional<ServedDirectory> script_dir;
  const std::optional<ServedDirectory> static_dir;
  const std::optional<ServedDirectory> cgi_dir;

  std::atomic<unsigned> live_children{0};  // the --maxforks count
  std::atomic<bool> stopping{false};
  // True from the first SIGTERM/SIGINT on: health says 503, listeners stop accepting.
  std::atomic<bool> draining{false};
  // Where WebSocket children are started. Never null: it exists before the
  // first connection and outlives the last. Its completions go to the
  // workers' queues, so the server joins it before its workers are
  // destroyed.
  const std::unique_ptr<Spawner> spawner;

  // A per-connection id for UNIQUE_ID and the log: unique within this run
  // and unlikely to repeat across runs (it starts from the start-up time).
  std::string next_connection_id();

  // --shared: the running shared program of each endpoint. Never null.
  const std::unique_ptr<SharedRegistry> shared_programs;

  // --sse: the live sessions by token (src/sse). Never null.
  const std::unique_ptr<SseRegistry> sse_sessions;

 private:
  std::atomic<std::uint64_t> next_id_;
};

}  // namespace wsexec
