// Children started through spawn helpers (src/process/spawn_helpers.hpp):
// small copies of the server that hold nothing of it, whose children are
// still the server's, and which the server replaces when one dies.
#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// The program answers with its pid and its parent's.
std::string write_parent_script(TempDir& dir) {
  return dir.write_script("parent.sh", "echo $$ $PPID\nexec cat\n");
}

TEST(SpawnHelpers, HoldOnlyTheirSocketAndStartChildrenThatAreTheServers) {
  TempDir dir;
  ServerProcess server({write_parent_script(dir)});
  std::vector<pid_t> helpers;
  ASSERT_TRUE(wait_until([&] { return !(helpers = spawn_helpers_of(server.pid())).empty(); }, 5s))
      << server.diagnostics();
  for (pid_t helper : helpers) {
    // Nothing of the server's (its listening sockets, log, connections):
    // that is what keeps every spawn as cheap as in an idle server.
    EXPECT_EQ(open_descriptors(helper), (std::vector<int>{0, 1, 2})) << "helper " << helper;
    EXPECT_EQ(descriptor_target(helper, 0).rfind("socket:", 0), 0u);
  }
  auto client = connect_to(server);
  const WsEvent event = client->read(5s);
  ASSERT_EQ(event.kind, EventKind::text) << describe(event);
  const std::vector<std::string> words = split_words(event.data);
  ASSERT_EQ(words.size(), 2u) << event.data;
  PidCleanup cleanup;
  cleanup.add(parse_pid(words[0]));
  // CLONE_PARENT: the server reaps, signals and watches it as before.
  EXPECT_EQ(parse_pid(words[1]), server.pid());
}

// A server started with signals ignored (nohup's SIGHUP; here also SIGUSR2
// and a real-time signal) ignores SIGPIPE too; a program started through a
// helper must see none of that. The helper is itself started with every
// disposition reset, and resets in each child those it read as changed
// (ChangedSignals; component tests in program_start_signals_test.cpp).
TEST(SpawnHelpers, ChildrenStartWithNoSignalIgnoredWhateverTheServerInherited) {
  TempDir dir;
  const std::string wrapper = dir.write_script(
      "ignoring.sh", "trap '' HUP USR2 40\nexec \"" + binary_under_test() + "\" \"$@\"\n");
  const std::string program =
      dir.write_script("signals.sh", "exec grep -E '^Sig(Ign|Blk)' /proc/self/status\n");
  ServerOptions options;
  options.program = wrapper;
  options.args = {program};
  ServerProcess server(options);
  std::vector<pid_t> helpers;
  ASSERT_TRUE(wait_until([&] { return !(helpers = spawn_helpers_of(server.pid())).empty(); }, 5s))
      << server.diagnostics();
  auto client = connect_to(server);
  std::vector<std::string> lines;
  for (int i = 0; i < 2; ++i) {
    const WsEvent event = client->read(5s);
    ASSERT_EQ(event.kind, EventKind::text) << describe(event) << server.diagnostics();
    lines.push_back(event.data);
  }
  // (Not SigCgt: exec clears every handler, and grep installs its own.)
  EXPECT_EQ(lines,
            (std::vector<std::string>{"SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"}));
}

TEST(SpawnHelpers, AKilledHelperIsReapedReplacedAndSaidSoAndTheNextClientIsServed) {
  TempDir dir;
  ServerProcess server({write_parent_script(dir)});
  std::vector<pid_t> killed;
  ASSERT_TRUE(wait_until([&] { return !(killed = spawn_helpers_of(server.pid())).empty(); }, 5s));
  for (pid_t helper : killed) ::kill(helper, SIGKILL);
  // Whichever helper the spawn goes to is dead: it is replaced, and the
  // spawn retried on the new one, so the client never notices.
  for (int connection = 0; connection < 2 * static_cast<int>(killed.size()); ++connection) {
    auto client = connect_to(server);
    const WsEvent event = client->read(5s);
    ASSERT_EQ(event.kind, EventKind::text) << describe(event) << server.diagnostics();
    PidCleanup cleanup;
    cleanup.add(parse_pid(split_words(event.data).at(0)));
    EXPECT_TRUE(client->close());
  }
  EXPECT_TRUE(server
                  .wait_for_log_line({"spawn helper " + std::to_string(killed.front()),
                                      "killed by SIGKILL", "starting a new one"})
                  .has_value())
      << server.diagnostics();
  for (pid_t helper : killed) {
    EXPECT_TRUE(wait_until([&] { return !process_exists(helper); }, 5s))
        << "helper " << helper << " was left a zombie";
  }
  const std::vector<pid_t> now = spawn_helpers_of(server.pid());
  EXPECT_EQ(now.size(), killed.size());
  for (pid_t helper : now) EXPECT_TRUE(process_running(helper));
}

TEST(SpawnHelpers, AStoppedHelperIsGivenUpAfterItsAnswerTimeoutKilledAndReplaced) {
  TempDir dir;
  ServerProcess server({write_parent_script(dir)});
  std::vector<pid_t> stopped;
  ASSERT_TRUE(wait_until([&] { return !(stopped = spawn_helpers_of(server.pid())).empty(); }, 5s));
  // Should the test fail half-way, no stopped helper outlives it.
  PidCleanup stopped_cleanup;
  for (pid_t helper : stopped) stopped_cleanup.add(helper);
  for (pid_t helper : stopped) ::kill(helper, SIGSTOP);
  // This client's spawn goes to a helper that cannot answer: the spawner
  // thread must not wait for it forever (limits::kSpawnHelperAnswerTimeout,
  // 10 s). What the client itself sees meanwhile is not the point here.
  std::thread first_client([&server] {
    ConnectOptions options = client_options(server);
    options.timeout = 20s;
    (void)WsClient::handshake(options);
  });
  const auto given_up =
      server.wait_for_log_line({"spawn helper", "did not answer", "starting a new one"}, 20s);
  first_client.join();
  ASSERT_TRUE(given_up.has_value()) << server.diagnostics();
  // The one given up is killed and reaped; the others are let go on.
  EXPECT_TRUE(wait_until(
      [&] {
        int gone = 0;
        for (pid_t helper : stopped) gone += !process_exists(helper);
        return gone == 1;
      },
      5s));
  for (pid_t helper : stopped) ::kill(helper, SIGCONT);
  for (int connection = 0; connection < 2 * static_cast<int>(stopped.size()); ++connection) {
    auto client = connect_to(server);
    const WsEvent event = client->read(5s);
    ASSERT_EQ(event.kind, EventKind::text) << describe(event) << server.diagnostics();
    PidCleanup cleanup;
    cleanup.add(parse_pid(split_words(event.data).at(0)));
    EXPECT_TRUE(client->close());
  }
}

}  // namespace
}  // namespace wsexec_test
