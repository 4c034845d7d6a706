// Runs the server under test (wsexec, or websocketd for comparison) as a
// child of the test, on a free loopback port, with its stdout (the log) and
// stderr captured to files. The destructor always stops and reaps it, by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "temp_dir.hpp"

namespace wsexec_test {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

// The binary under test: $WSEXEC_TEST_BINARY if set (for example
// /usr/bin/websocketd), else the wsexec that this build produced.
std::string binary_under_test();

struct ExitStatus {
  bool exited = false;  // true: normal exit with code; false: killed by signal
  int code = -1;
  int signal = 0;
};
std::string describe(const ExitStatus& status);

struct ServerOptions {
  // Options and the command, as on the command line.
  std::vector<std::string> args;
  // Prepend "--port=P --address=127.0.0.1" with a free port P.
  bool add_listen_args = true;
  // The port to wait for (and to pass when add_listen_args); 0 = pick one.
  std::uint16_t port = 0;
  // Wait until the port is listening before the constructor returns.
  bool wait_until_listening = true;
  // Variables set (or replaced) in the server's environment; an empty value
  // with unset = true removes the variable instead.
  struct EnvVar {
    std::string name;
    std::string value;
    bool unset = false;
  };
  std::vector<EnvVar> env;
  Millis startup_timeout = 10000ms;
  // The program to run; empty: the binary under test. (Last, so that
  // ServerProcess({"cat"}) still means the arguments.)
  std::string program;
};

class ServerProcess {
 public:
  // Starts the binary under test with these options and command.
  explicit ServerProcess(std::vector<std::string> args);
  explicit ServerProcess(ServerOptions options);
  // Stops the server: SIGTERM, then SIGKILL after a deadline; always reaps.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Everything the server wrote to stdout (its log) / stderr so far.
  std::string log() const;
  std::string error_output() const;
  // Complete log lines so far (a line still being written is left out).
  std::vector<std::string> log_lines() const;
  // Waits for a complete log line containing every one of the fragments
  // and returns it, or nullopt at the deadline.
  std::optional<std::string> wait_for_log_line(const std::vector<std::string>& fragments,
                                               Millis timeout = 5000ms) const;

  // True while the server process runs (reaps it if it has exited).
  bool running();
  void send_signal(int signal);
  // Waits for the server to exit and returns how, or nullopt at the deadline.
  std::optional<ExitStatus> wait_exit(Millis timeout);

  // Log and stderr, for assertion messages.
  std::string diagnostics() const;

 private:
  void start(ServerOptions options);
  void stop();

  TempDir output_dir_;
  std::vector<std::string> argv_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_status_;
};

// Runs the binary under test to completion (for command-line errors,
// --help, --version). Killed if still running at the deadline.
struct RunResult {
  std::optional<ExitStatus> status;  // nullopt: it did not exit in time
  std::string out;
  std::string err;
};
RunResult run_to_exit(const std::vector<std::string>& args, Millis timeout = 5000ms);
// The same for another program (a helper such as openssl or bash).
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      Millis timeout = 5000ms);

}  // namespace wsexec_test
