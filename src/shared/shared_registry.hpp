#pragma once
// The running shared program of each endpoint (the command, or each script
// of --dir), found or started when a client arrives. The one lock of the
// feature: taken when a client connects and when a program ends, never per
// message. It holds programs weakly (they keep themselves alive while they
// run), so a program is never destroyed off its own thread.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "process/spawn_request.hpp"
#include "shared/shared_program.hpp"

namespace wsexec {

struct ServerState;
class Worker;

class SharedRegistry {
 public:
  explicit SharedRegistry(ServerState& state) : state_(state) {}

  // Joins `client` to the program running for `key`, or to a new one
  // started on `home` from `request`, which takes a --maxforks slot. A new
  // program's first client joins before it starts, so it sees the
  // program's first line. Empty (and nobody joined) when no slot is free.
  SharedProgramRef join_or_start(const std::string& key, Worker& home, const SpawnRequest& request,
                                 SharedClientHandle client);

  // The program ends (or is ending): the next client starts a new one.
  // Does nothing if `key` already names a newer program.
  void forget(const std::string& key, const SharedProgram* program);

 private:
  struct Entry {
    std::weak_ptr<SharedProgram> program;
    const SharedProgram* identity = nullptr;  // compared, never dereferenced
    boost::asio::io_context* home = nullptr;
  };

  ServerState& state_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> programs_;
};

}  // namespace wsexec
