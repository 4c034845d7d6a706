// wsbench: load client for wsexec and websocketd.
//
//   wsbench SCENARIO [--port N] [--path /] [--inproc] [options]
//
// Prints one JSON object per run on stdout. Exit status: 0 ok, 3 stall,
// 1 error, 2 usage. Everything runs on 127.0.0.1.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "common.hpp"
#include "echo_server.hpp"
#include "fanout_floor.hpp"
#include "floor_server.hpp"
#include "limits.hpp"
#include "process/spawn_helper_loop.hpp"
#include "scenarios.hpp"
#include "shared_scenarios.hpp"

namespace {

constexpr const char* kUsage = R"(usage: wsbench SCENARIO [options]

scenarios (against ws://127.0.0.1:PORT/PATH; --inproc runs the in-process
echo server on PORT instead, which measures the client's own ceiling;
--floor runs the floor server on PORT instead: the least a server that
spawns a child per connection must do, one connection at a time: churn):
  latency     --count 2000 --warmup 100 --size 64
  throughput  --conns 1 --size 64 --window 16k --seconds 3 --warmup 0.5
  binary      --conns 1 --size 64k --window 256k --seconds 3 --warmup 0.5
  churn       --seconds 3
  storm       --conns 100 --timeout 30
  hold        --conns 1000 --seconds 5 --parallel 64 --server-pid PID
  slow        --messages 8192 --size 1024 --server-pid PID
limits (no server):
  limit-spawn --seconds 3 --threads 1 --command /bin/cat [--open-fds N] [--reap-later]
              [--launcher direct|helper|boost]   (issue 16: in this process, through
              spawn helpers started first, or with Boost.Process)
  limit-pipe  --size 64k --seconds 3
  limit-pipe-rtt --count 2000 --size 64   (round trips through cat)
  limit-fanout-send --conns 9000 --rounds 10 --size 21   (one small frame sent to each
              of --conns loopback sockets: the floor of a shared fan-out)
shared programs (a server started with --shared):
  shared-fanout    --conns 10000 --messages 20 --interval-ms 100 [--seconds 60] --server-pid PID
                   [--threads 1] (the clients read on that many threads)
                   (on `--shared cat`: delivery p99 to every client, RSS per idle client)
  shared-broadcast --conns 1000 --seconds 5 (on `--shared yes ...`: messages/s in total)
other:
  echo-server --port N --seconds S   run the in-process echo server alone
  floor-server --port N --seconds S --command /bin/cat   the floor server alone
common: --port N --path / --stall 5 (seconds without progress = stall)
)";

int usage() {
  std::cerr << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bench;
  // limit-spawn --launcher helper starts copies of wsbench as its helpers.
  if (argc == 2 && std::string_view(argv[1]) == wsexec::kSpawnHelperFlag) {
    return wsexec::run_spawn_helper(STDIN_FILENO);
  }
  if (argc < 2) return usage();
  const std::string scenario = argv[1];
  if (scenario == "--help" || scenario == "-h") {
    std::cout << kUsage;
    return 0;
  }
  ::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  try {
    const Options options(argc, argv, 2);
    Target target;
    target.port = static_cast<unsigned short>(options.get_int("port", 18600));
    target.path = options.get("path", "/");
    std::unique_ptr<EchoServer> echo;
    if (options.flag("inproc")) echo = std::make_unique<EchoServer>(target.port);
    std::unique_ptr<FloorServer> floor;
    const std::string command = options.get("command", "/bin/cat");
    if (options.flag("floor")) floor = std::make_unique<FloorServer>(target.port, command);

    std::optional<Result> result;
    if (scenario == "latency") {
      result = run_latency(options, target);
    } else if (scenario == "throughput") {
      result = run_pipelined("throughput", options, target, false);
    } else if (scenario == "binary") {
      result = run_pipelined("binary", options, target, true);
    } else if (scenario == "churn") {
      result = run_churn(options, target);
    } else if (scenario == "storm") {
      result = run_storm(options, target);
    } else if (scenario == "shared-fanout") {
      result = run_shared_fanout(options, target);
    } else if (scenario == "shared-broadcast") {
      result = run_shared_broadcast(options, target);
    } else if (scenario == "hold") {
      result = run_hold(options, target);
    } else if (scenario == "slow") {
      result = run_slow(options, target);
    } else if (scenario == "limit-spawn") {
      result = run_limit_spawn(options);
    } else if (scenario == "limit-fanout-send") {
      result = run_limit_fanout_send(options);
    } else if (scenario == "limit-pipe") {
      result = run_limit_pipe(options);
    } else if (scenario == "limit-pipe-rtt") {
      result = run_limit_pipe_rtt(options);
    } else if (scenario == "echo-server") {
      if (!echo) echo = std::make_unique<EchoServer>(target.port);
      std::this_thread::sleep_for(std::chrono::duration<double>(options.get_double("seconds", 60)));
      return 0;
    } else if (scenario == "floor-server") {
      if (!floor) floor = std::make_unique<FloorServer>(target.port, command);
      std::this_thread::sleep_for(std::chrono::duration<double>(options.get_double("seconds", 60)));
      return 0;
    } else {
      return usage();
    }
    result->set("target", echo ? "inproc" : floor ? "floor" : "server");
    std::cout << result->json() << std::endl;
    return result->exit_code();
  } catch (const std::exception& e) {
    Result failed(scenario);
    failed.fail(e.what());
    std::cout << failed.json() << std::endl;
    return 1;
  }
}
