#pragma once
// The server's lifecycle: bind, run the workers and their accept loops, stop
// gracefully, reload TLS. Connections are accepted on the first worker (of
// one event loop and thread per core) and stay there unless it has more
// than two connections more than the least loaded worker, which then takes
// them (choose_worker).
#include <memory>

#include "server/server_state.hpp"
#include "server/startup_error.hpp"

namespace wsexec {

class Server {
 public:
  // Reads the TLS files and binds every listener, or throws StartupError
  // naming the file or address and the reason. Nothing is accepted until
  // run().
  explicit Server(ServerState& state);
  ~Server();

  // Serves until SIGINT or SIGTERM, then closes every session with 1001,
  // ends every child and returns the exit status (0). SIGHUP reloads the
  // TLS certificate, key and CA.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wsexec
