#pragma once
// Listeners, worker threads, signals and the graceful stop. Connections are
// accepted on one thread and handed round-robin to the workers, each running
// its own event loop.
#include <memory>
#include <stdexcept>

#include "server/server_state.hpp"

namespace wsexec {

// A start-up failure after the command line was accepted (a port in use).
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Server {
 public:
  explicit Server(ServerState& state);
  ~Server();

  // Reads the TLS files and binds every listener, or throws StartupError
  // naming the file or address and the reason. Nothing is accepted until
  // run().
  void listen();

  // Serves until SIGINT or SIGTERM, then closes every session with 1001,
  // ends every child and returns the exit status (0). SIGHUP reloads the
  // TLS certificate, key and CA.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsexec
