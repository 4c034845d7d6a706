// The termination ladder's first wait (ChildSupervisor::on_stdin_progress):
// it goes on while the child is still taking its stdin, but never longer
// than the limit given, so a program that reads a trickle for ever is still
// signalled; a child that takes nothing moves on after one window.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <system_error>

#include "process/child_process.hpp"
#include "process/child_supervisor.hpp"
#include "server/fork_slot.hpp"
#include "server/server_state.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A child that reads nothing and ends at SIGINT, under a supervisor whose
// ladder reports `taken` as the child's stdin progress. Returns how long
// the ladder took from its start to the child's exit (nullopt: no exit
// within 10 s).
std::optional<Clock::duration> ladder_time_to_exit(
    std::function<std::optional<std::uint64_t>()> taken, std::chrono::milliseconds longest) {
  asio::io_context context{1};
  ServerState state(Config{}, "/bin/true", {});
  auto slot = ForkSlot::try_acquire(state);
  EXPECT_TRUE(slot);
  if (!slot) return std::nullopt;
  std::error_code error;
  auto child = ChildProcess::spawn(context.get_executor(),
                                   SpawnRequest{"/bin/sleep", {"sleep", "600"}, {}}, error);
  EXPECT_NE(child, nullptr) << error.message();
  if (!child) return std::nullopt;
  auto supervisor =
      std::make_shared<ChildSupervisor>(std::move(child), std::move(*slot), 0ms, "test");
  supervisor->on_stdin_progress(std::move(taken), longest);
  std::optional<Clock::time_point> exited_at;
  supervisor->watch([&] {
    exited_at = Clock::now();
    context.stop();
  });
  const auto started = Clock::now();
  supervisor->terminate();
  context.run_for(10s);
  if (!exited_at) return std::nullopt;
  return *exited_at - started;
}

TEST(ChildSupervisorLadder, AChildStillReadingIsSignalledOnceTheLimitHasPassed) {
  std::uint64_t bytes = 0;
  // Every look finds more taken: without the limit the wait would go on.
  const auto took =
      ladder_time_to_exit([&]() -> std::optional<std::uint64_t> { return bytes += 100; }, 600ms);
  ASSERT_TRUE(took.has_value()) << "the child was never signalled";
  EXPECT_GE(*took, 600ms) << "signalled before the limit while it was still reading";
  EXPECT_LT(*took, 2s) << "the wait outlasted its limit";
}

TEST(ChildSupervisorLadder, AChildThatTakesNothingIsSignalledAfterOneWindow) {
  const auto took = ladder_time_to_exit([]() -> std::optional<std::uint64_t> { return 5; }, 30s);
  ASSERT_TRUE(took.has_value()) << "the child was never signalled";
  EXPECT_GE(*took, 100ms);  // the first step's window
  EXPECT_LT(*took, 1s) << "a child that took nothing was waited for";
}

}  // namespace
}  // namespace wsexec
