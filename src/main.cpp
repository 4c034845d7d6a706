// wsexec: turn any program into a WebSocket server.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string_view>

#include "core/config.hpp"
#include "process/executable_lookup.hpp"
#include "process/spawn_helper_loop.hpp"
#include "process/spawn_helpers.hpp"
#include "server/config_file_reader.hpp"
#include "server/log.hpp"
#include "server/privileges.hpp"
#include "server/server.hpp"
#include "server/worker.hpp"

extern char** environ;

namespace {

// A server started with a closed stdin/stdout/stderr would hand those numbers
// to its own sockets and pipes, and a child's dup2 onto 0-2 would misbehave.
void ensure_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", O_RDWR);
  }
}

// Thousands of connections need thousands of descriptors (about five each);
// the soft limit is often 1024 while the hard one is far higher.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::vector<std::string> read_environment() {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) entries.emplace_back(*entry);
  return entries;
}

// Run as a systemd unit with AmbientCapabilities=CAP_NET_BIND_SERVICE, the
// server needs the capability only to bind, and the programs it starts must
// not inherit it. Clearing the ambient set leaves the effective one, so the
// bind still works; it must happen before the first thread is created,
// because each thread keeps the set it was born with (the spawner's threads,
// started with the server state, would otherwise pass the capability on).
void keep_capabilities_from_children() {
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

void announce_what_is_served(const wsexec::ServerState& state) {
  using wsexec::log::info;
  if (!state.executable.empty()) {
    info("server", "Serving using application   : " + state.executable);
  }
  if (state.script_dir) info("server", "Serving from directory      : " + state.script_dir->root());
  if (state.static_dir) info("server", "Serving static content from : " + state.static_dir->root());
  if (state.cgi_dir) info("server", "Serving CGI scripts from    : " + state.cgi_dir->root());
}

// One spawn helper per spawner thread, and one more that a worker may take
// while no other spawn is under way (src/process/spawn_helpers.hpp, spawner.hpp):
// a worker that is then flooded with handshakes reads its helper's answer
// late, and the spawner threads still have one helper each. Once
// the privileges are final: the helpers start every child, with their own
// credentials. Without them the server still serves, spawning directly.
void start_spawn_helpers() {
  std::error_code error;
  const auto report = [](const std::string& message) { wsexec::log::error("server", message); };
  if (!wsexec::spawn_helpers().start(wsexec::worker_count() + 1, "/proc/self/exe", report, error)) {
    wsexec::log::error("server", "cannot start the spawn helpers (" + error.message() +
                                     "): starting programs directly, which slows down as "
                                     "connections grow");
  }
}

int fail_startup(const std::string& message, int status, bool show_usage = false) {
  std::cerr << "wsexec: " << message << "\n";
  if (show_usage) std::cerr << wsexec::usage_text();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // A copy of us started as a spawn helper does only that, from its first
  // instruction (spawn_helpers.hpp).
  if (argc == 2 && std::string_view(argv[1]) == wsexec::kSpawnHelperFlag) {
    return wsexec::run_spawn_helper(STDIN_FILENO);
  }
  ensure_standard_descriptors();
  keep_capabilities_from_children();
  using namespace wsexec;
  std::unique_ptr<ServerState> state;
  std::optional<RunAs> run_as;
  try {
    CommandLine command_line =
        parse_command_line(std::vector<std::string>(argv + 1, argv + argc), read_config_file);
    switch (command_line.action) {
      case StartupAction::show_help:
        std::cout << help_text();
        return 0;
      case StartupAction::show_version:
        std::cout << version_text();
        return 0;
      case StartupAction::show_license:
        std::cout << license_text();
        return 0;
      case StartupAction::serve:
        break;
    }
    try {
      // Before the spawner's threads exist: the lookup is not reentrant.
      run_as = resolve_run_as(command_line.config);
    } catch (const StartupError& e) {
      return fail_startup(e.what(), 1);
    }
    std::string executable;
    if (!command_line.config.command.empty()) {
      const char* path = std::getenv("PATH");
      executable = resolve_executable(command_line.config.command, path ? path : "");
    }
    // Also checks --dir, --staticdir and --cgidir: all before anything listens.
    state = std::make_unique<ServerState>(std::move(command_line.config), executable,
                                          read_environment());
  } catch (const ConfigError& e) {
    return fail_startup(e.what(), e.exit_status(), e.show_usage());
  }

  ::signal(SIGPIPE, SIG_IGN);  // a vanished peer is an error code, not a death
  raise_descriptor_limit();
  log::set_level(state->config.log_level);
  log::set_format(state->config.log_format);

  // Without --user the helpers start before anything listens: a SIGTERM
  // sent as soon as the port or socket exists then finds run()'s handler
  // about as soon as before the helpers existed. With --user they must wait
  // for the drop (they start every child with their own credentials).
  if (!run_as) start_spawn_helpers();
  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(*state);
    // Everything that needs root is done: sockets bound, TLS keys read.
    if (run_as) drop_privileges(*run_as);
  } catch (const StartupError& e) {
    log::write(LogLevel::fatal, "server", {}, e.what());
    return fail_startup(e.what(), 1);
  }
  warn_if_programs_run_as_root(run_as);
  if (run_as) start_spawn_helpers();
  announce_what_is_served(*state);
  const int status = server->run();
  spawn_helpers().stop();
  return status;
}
