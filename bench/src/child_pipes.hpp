// A child on three pipes, spawned as a server spawns it; shared by the
// limits and the floor server.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

namespace bench {

struct Child {
  pid_t pid = -1;
  int in = -1;   // its stdin, our write end
  int out = -1;  // its stdout, our read end
  int err = -1;  // its stderr, our read end
};

// How the child is started (issue 16): wsexec's start_program in this
// process; a spawn helper (src/process/spawn_helpers.hpp: start them
// first); or the same spawn written with Boost.Process.
enum class Launcher { direct, helper, boost_process };
// "direct", "helper", "boost"; throws std::invalid_argument otherwise.
Launcher parse_launcher(const std::string& name);

// As wsexec does it: three O_CLOEXEC pipes, then wsexec's own
// start_program (src/program_start.cpp: clone with CLONE_VFORK, a process
// group of its own, default signals, nothing but 0-2 open), or the same
// through `launcher`. Throws std::runtime_error on failure.
Child spawn_child(const std::string& command, Launcher launcher = Launcher::direct);

// Writes all of data to fd (blocking); throws on error.
void write_all(int fd, const char* data, std::size_t size);

// Closes stdin (if still open), waits for the child, closes the rest.
int reap(Child& child);

}  // namespace bench
