#include "server/server_state.hpp"

#include <chrono>

#include "process/spawner.hpp"
#include "server/worker.hpp"
#include "shared/shared_registry.hpp"
#include "sse/sse_registry.hpp"

namespace wsexec {
namespace {

std::optional<ServedDirectory> served(const char* option, const std::string& path) {
  if (path.empty()) return std::nullopt;
  return ServedDirectory(option, path);
}

}  // namespace

ServerState::ServerState(Config config_in, std::string executable_in,
                         std::vector<std::string> parent_environment_in)
    : config(std::move(config_in)),
      executable(std::move(executable_in)),
      server_software("wsexec/" WSEXEC_VERSION),
      child_environment{server_software, config.passenv, std::move(parent_environment_in)},
      script_dir(served("dir", config.script_dir)),
      static_dir(served("staticdir", config.static_dir)),
      cgi_dir(served("cgidir", config.cgi_dir)),
      spawner(std::make_unique<Spawner>(worker_count())),
      shared_programs(std::make_unique<SharedRegistry>(*this)),
      sse_sessions(std::make_unique<SseRegistry>()),
      next_id_(
          static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) &
          0x7fffffffffff0000ull) {}

ServerState::~ServerState() = default;

std::string ServerState::next_connection_id() {
  return std::to_string(next_id_.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace wsexec
