// Graceful drain (issue 15, item 3): with --drainms, SIGTERM stops
// accepting at once, lets the open sessions go on for up to MS, then closes
// the rest with 1001; a second signal ends everything at once.
#include <signal.h>

#include <chrono>
#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

testing::AssertionResult refuses_connections(std::uint16_t port) {
  try {
    RawConnection connection("127.0.0.1", port, 2000ms);
  } catch (const std::exception&) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "a new connection was accepted while draining";
}

// A client whose session runs (one echo done through `cat`); null, with a
// failure recorded, if not.
std::unique_ptr<WsClient> echoing_client(const ServerProcess& server) {
  auto client = connect_to(server);
  if (!client->send_text("hello", 5s) || !IsText(client->read(5s), "hello")) {
    ADD_FAILURE() << "no echo before the test: " << server.diagnostics();
    return nullptr;
  }
  return client;
}

TEST(Drain, ASessionOpenBeforeSigtermFinishesItsExchangeWhileNewOnesAreRefused) {
  TempDir dir;
  // Greets, then one exchange, then exits: the session ends by itself.
  const std::string script =
      dir.write_script("one_exchange.sh", "echo ready\nread line\necho \"got $line\"\n");
  ServerProcess server({"--drainms=8000", script});
  auto client = connect_to(server);
  ASSERT_TRUE(IsText(client->read(5s), "ready"));  // its program surely runs

  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log_line({"| INFO", "Draining", "8000 ms"}).has_value())
      << server.diagnostics();
  EXPECT_TRUE(refuses_connections(server.port()));

  // The exchange happens entirely after SIGTERM.
  ASSERT_TRUE(client->send_text("ping", 5s));
  EXPECT_TRUE(IsText(client->read(5s), "got ping")) << server.diagnostics();
  EXPECT_TRUE(IsClose(client->read(5s), 1000)) << server.diagnostics();
  // The last session ended: the server exits without waiting out the drain.
  const auto status = server.wait_exit(6s);
  ASSERT_TRUE(status.has_value()) << server.diagnostics();
  EXPECT_TRUE(status->exited && status->code == 0) << describe(*status);
  EXPECT_LT(Clock::now() - signalled, 6s);
}

TEST(Drain, SessionsStillOpenWhenTheDrainEndsAreClosedWith1001) {
  ServerProcess server({"--drainms=800", "cat"});
  auto client = echoing_client(server);
  ASSERT_TRUE(client);

  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  // Still served during the drain.
  ASSERT_TRUE(client->send_text("during the drain", 5s));
  EXPECT_TRUE(IsText(client->read(5s), "during the drain"));
  EXPECT_TRUE(IsClose(client->read(5s), 1001)) << server.diagnostics();
  EXPECT_GE(Clock::now() - signalled, 700ms) << "closed before the drain time";
  EXPECT_TRUE(server.wait_exit(5s).has_value()) << server.diagnostics();
}

TEST(Drain, ASecondSignalEndsEverythingAtOnce) {
  ServerProcess server({"--drainms=60000", "cat"});
  auto client = echoing_client(server);
  ASSERT_TRUE(client);
  const auto children = children_of(server.pid());
  ASSERT_EQ(children.size(), 1u);

  server.send_signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_log_line({"Draining"}).has_value()) << server.diagnostics();
  const auto second = Clock::now();
  server.send_signal(SIGINT);
  const auto status = server.wait_exit(5s);
  ASSERT_TRUE(status.has_value()) << "still draining after a second signal\n"
                                  << server.diagnostics();
  EXPECT_LT(Clock::now() - second, 3s);
  EXPECT_TRUE(wait_until([&] { return !process_running(children[0].pid); }, 3s))
      << "the program outlived the server";
}

TEST(Drain, WithoutDrainmsSigtermClosesAtOnce) {
  ServerProcess server({"cat"});
  auto client = echoing_client(server);
  ASSERT_TRUE(client);
  const auto signalled = Clock::now();
  server.send_signal(SIGTERM);
  EXPECT_TRUE(IsClose(client->read(5s), 1001));
  EXPECT_LT(Clock::now() - signalled, 2s);
  EXPECT_FALSE(server.wait_for_log_line({"Draining"}, 100ms).has_value());
}

// Once its last session has gone, a stopping server exits at once: no
// pending tick of a worker's teardown sweep (1 s) holds it up, whether the
// session was closed by the stop or ended by itself while draining. (Not a
// Drain test: CI runs that family against the AddressSanitizer build, whose
// leak check at exit alone takes seconds.)
TEST(StopIsPrompt, TheServerExitsAsSoonAsItsLastSessionIsGone) {
  for (const bool draining : {false, true}) {
    SCOPED_TRACE(draining ? "draining, the client closes" : "stopped at once");
    ServerProcess server(draining ? std::vector<std::string>{"--drainms=30000", "cat"}
                                  : std::vector<std::string>{"cat"});
    auto client = echoing_client(server);
    ASSERT_TRUE(client);
    server.send_signal(SIGTERM);
    if (draining) {
      ASSERT_TRUE(server.wait_for_log_line({"Draining"}, 5s).has_value());
      EXPECT_TRUE(client->close(1000));
    } else {
      EXPECT_TRUE(IsClose(client->read(5s), 1001));
    }
    const auto session_over = Clock::now();
    EXPECT_TRUE(server.wait_exit(5s).has_value()) << server.diagnostics();
    EXPECT_LT(Clock::now() - session_over, 700ms)
        << "the server waited for something after its session";
  }
}

}  // namespace
}  // namespace wsexec_test
