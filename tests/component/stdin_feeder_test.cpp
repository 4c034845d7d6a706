// StdinFeeder against a real pipe and a real event loop, without a server:
// order, completeness, the EOF after the drain, back-pressure and a broken
// pipe.
#include "process/stdin_feeder.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace wsexec {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A pipe whose write end the feeder owns (through Asio) and whose read end
// the test reads without blocking.
struct FeederFixture {
  asio::io_context context{1};
  asio::posix::stream_descriptor write_end{context};
  int read_end = -1;
  std::shared_ptr<int> owner = std::make_shared<int>(0);

  FeederFixture() {
    ::signal(SIGPIPE, SIG_IGN);  // as the server does: a write to a gone child fails with EPIPE
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    read_end = fds[0];
    ::fcntl(read_end, F_SETFL, O_NONBLOCK);
    write_end.assign(fds[1]);
  }
  ~FeederFixture() {
    if (read_end >= 0) ::close(read_end);
  }

  // Everything readable now; `eof` tells whether the write end is closed.
  std::string drain(bool* eof = nullptr) {
    std::string got;
    char buffer[65536];
    while (true) {
      const ssize_t n = ::read(read_end, buffer, sizeof buffer);
      if (n > 0) {
        got.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      if (eof) *eof = (n == 0);
      return got;
    }
  }

  void run_until_idle() { run_for(200ms); }
  void run_for(std::chrono::milliseconds time) {
    context.restart();
    context.run_for(time);
  }
};

TEST(StdinFeeder, MessagesQueuedTogetherArriveWholeAndInOrder) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  std::string expected;
  asio::post(f.context, [&] {
    for (int i = 0; i < 500; ++i) {
      const std::string message = "message " + std::to_string(i);
      feeder.queue(message, /*newline=*/true);
      expected += message + "\n";
    }
  });
  f.run_until_idle();
  EXPECT_EQ(f.drain(), expected);
}

TEST(StdinFeeder, BinaryMessagesGetNoNewline) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  asio::post(f.context, [&] {
    feeder.queue("ab", /*newline=*/false);
    feeder.queue("cd", /*newline=*/false);
  });
  f.run_until_idle();
  EXPECT_EQ(f.drain(), "abcd");
}

// The EOF comes after everything queued, and only once the child has read
// it from the pipe: until then the ladder can see how much it has taken.
TEST(StdinFeeder, CloseAfterDrainGivesEofOnceTheChildHasReadEverything) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  EXPECT_EQ(feeder.taken_while_closing(), std::nullopt) << "not closing yet";
  asio::post(f.context, [&] {
    feeder.queue("last words", /*newline=*/true);
    feeder.close_after_drain();
    feeder.queue("dropped: after the close", /*newline=*/true);
  });
  f.run_for(50ms);  // less than the 100 ms a child that reads nothing gets
  // In the pipe, unread: the write end stays open.
  EXPECT_EQ(feeder.taken_while_closing(), std::optional<std::uint64_t>(0));
  ASSERT_TRUE(f.write_end.is_open()) << "closed with the child's input unread";
  bool eof = true;
  EXPECT_EQ(f.drain(&eof), "last words\n");
  EXPECT_FALSE(eof);
  EXPECT_EQ(feeder.taken_while_closing(), std::optional<std::uint64_t>(11));
  f.run_for(1s);  // the next look at the pipe finds it empty (ends once nothing is left)
  EXPECT_EQ(f.drain(&eof), "");
  EXPECT_TRUE(eof) << "the write end is still open";
  EXPECT_EQ(feeder.taken_while_closing(), std::nullopt) << "closed";
}

// Nothing in the pipe when asked: the EOF at once, no waiting.
TEST(StdinFeeder, CloseAfterDrainWithNothingLeftClosesAtOnce) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  feeder.close_after_drain();
  EXPECT_FALSE(f.write_end.is_open());
  bool eof = false;
  EXPECT_EQ(f.drain(&eof), "");
  EXPECT_TRUE(eof);
}

// A child that reads nothing of what is in the pipe for 100 ms gets its
// EOF anyway (the ladder moves on to SIGINT then too), and is no longer
// looked at; what is in the pipe stays there for it.
TEST(StdinFeeder, CloseAfterDrainGivesUpOnAChildThatReadsNothing) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  asio::post(f.context, [&] {
    feeder.queue("not read yet", /*newline=*/true);
    feeder.close_after_drain();
  });
  f.run_for(50ms);
  ASSERT_TRUE(f.write_end.is_open());
  f.run_for(2s);  // ends once nothing is left to do
  EXPECT_FALSE(f.write_end.is_open()) << "still waiting for a child that reads nothing";
  bool eof = false;
  EXPECT_EQ(f.drain(&eof), "not read yet\n");
  EXPECT_TRUE(eof);
}

// A terminal (--pty) is not waited on: FIONREAD on its master counts the
// child's output, not its input.
TEST(StdinFeeder, ATerminalClosesOnceTheQueueIsWritten) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::terminal);
  asio::post(f.context, [&] {
    feeder.queue("typed", /*newline=*/true);
    feeder.close_after_drain();
  });
  f.run_for(50ms);
  EXPECT_FALSE(f.write_end.is_open());
  EXPECT_EQ(feeder.taken_while_closing(), std::nullopt);
}

// A child that exits with its input unread (the pipe's read end gone): the
// write end is closed, not watched for ever.
TEST(StdinFeeder, CloseAfterDrainStopsWaitingWhenTheChildIsGone) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  asio::post(f.context, [&] {
    feeder.queue("never read", /*newline=*/true);
    feeder.close_after_drain();
  });
  f.run_for(40ms);
  ASSERT_TRUE(f.write_end.is_open());
  ::close(f.read_end);
  f.read_end = -1;
  f.run_for(1s);  // ends once nothing is left to do
  EXPECT_FALSE(f.write_end.is_open());
  EXPECT_TRUE(feeder.broken()) << "closed as a child that reads nothing, not as one that is gone";
  EXPECT_EQ(feeder.taken_while_closing(), std::nullopt);
}

TEST(StdinFeeder, StopsTakingMoreWhenTheChildDoesNotReadAndResumesWhenItDoes) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  const std::string chunk(16 * 1024, 'x');
  std::size_t queued = 0;
  // Fill the pipe (64 KiB) and then the feeder's own queue.
  for (int round = 0; round < 20 && feeder.has_room(); ++round) {
    asio::post(f.context, [&] {
      while (feeder.has_room() && queued < 1024 * 1024) {
        feeder.queue(chunk, /*newline=*/false);
        queued += chunk.size();
      }
    });
    f.run_until_idle();
  }
  ASSERT_FALSE(feeder.has_room()) << "the feeder took " << queued << " bytes nobody reads";
  EXPECT_LT(queued, 512u * 1024) << "far more than the pipe and one queue's worth";

  bool resumed = false;
  feeder.when_room([&] { resumed = true; });
  std::string received;
  for (int round = 0; round < 50 && received.size() < queued; ++round) {
    received += f.drain();
    f.run_until_idle();
  }
  received += f.drain();
  EXPECT_TRUE(resumed) << "when_room() never called back";
  EXPECT_EQ(received.size(), queued);
  EXPECT_EQ(received.find_first_not_of('x'), std::string::npos);
}

TEST(StdinFeeder, ABrokenPipeDropsWhatIsQueuedAndLaterMessages) {
  FeederFixture f;
  StdinFeeder feeder(f.write_end, f.owner, StdinKind::pipe);
  ::close(f.read_end);  // the child is gone
  f.read_end = -1;
  asio::post(f.context, [&] { feeder.queue("nobody reads this", /*newline=*/true); });
  f.run_until_idle();
  EXPECT_TRUE(feeder.broken());
  EXPECT_TRUE(feeder.has_room());  // a broken feeder never holds the client back
  feeder.queue("nor this", /*newline=*/true);
  f.run_until_idle();
  EXPECT_TRUE(feeder.broken());
}

}  // namespace
}  // namespace wsexec
