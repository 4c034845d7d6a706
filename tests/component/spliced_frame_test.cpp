// A frame spliced from a pipe into a socket (spliced_frame_write.hpp,
// CorkableStream::async_splice_frame), against a real pipe, a real socket
// pair and a real event loop: the peer reads the header and exactly the
// promised payload, taken from the pipe, also when the socket takes it a
// few KiB at a time; a write asked for meanwhile (Beast's pong) follows the
// whole frame; a vanished peer and a pipe that holds less than promised
// are errors, not hangs.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>

#include "websocket/corkable_stream.hpp"
#include "websocket/spliced_frame_write.hpp"

namespace wsexec {
namespace {

constexpr int kBigPayload = 512 * 1024;
constexpr int kPipeCapacity = 1024 * 1024;  // the most an unprivileged process may ask for

namespace asio = boost::asio;
using Socket = asio::local::stream_protocol::socket;
using boost::system::error_code;
using namespace std::chrono_literals;

static_assert(CorkableStream<Socket>::can_splice);

struct Pipe {
  std::array<int, 2> fds{-1, -1};
  // Room for a payload larger than the socket takes at once (a Unix
  // socket takes a pipe's default 64 KiB whole, whatever its buffer size).
  Pipe() {
    EXPECT_EQ(::pipe2(fds.data(), O_CLOEXEC), 0);
    EXPECT_GE(::fcntl(fds[1], F_SETPIPE_SZ, kPipeCapacity), kPipeCapacity);
  }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  int read_end() const { return fds[0]; }
  void put(const std::string& bytes) {
    ASSERT_EQ(::write(fds[1], bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  int held() const {
    int pending = -1;
    EXPECT_EQ(::ioctl(fds[0], FIONREAD, &pending), 0);
    return pending;
  }
};

struct SplicePair {
  asio::io_context context{1};
  CorkableStream<Socket> stream{Socket(context)};
  Socket peer{context};

  SplicePair() { asio::local::connect_pair(stream.next_layer(), peer); }

  // The socket takes a few KiB at a time: the splice waits for room.
  void make_buffers_small() {
    stream.next_layer().set_option(asio::socket_base::send_buffer_size(4096));
    peer.set_option(asio::socket_base::receive_buffer_size(4096));
  }

  std::string read_exactly(std::size_t size) {
    std::string got(size, '\0');
    bool done = false;
    asio::async_read(peer, asio::buffer(got), [&](error_code ec, std::size_t n) {
      EXPECT_FALSE(ec) << ec.message();
      got.resize(n);
      done = true;
    });
    run_until(done);
    EXPECT_TRUE(done) << "the bytes never came";
    return got;
  }

  void run_until(const bool& done) {
    context.restart();
    while (!done && context.run_one_for(5s) > 0) {
    }
  }
};

std::string pattern(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + (i * 7) % 26);
  return bytes;
}

// The frame's header; nothing below parses it.
const std::string kHeader("\x82\x7f\x00\x00\x00\x00\x00\x08\x00\x00", 10);

TEST(SplicedFrame, ThePeerGetsTheHeaderThenExactlyThePromisedPayload) {
  SplicePair pair;
  pair.make_buffers_small();
  Pipe pipe;
  const std::string payload = pattern(kBigPayload);
  pipe.put(payload);
  pipe.put("next");  // the pipe holds more than the frame: the rest stays
  bool done = false;
  pair.stream.async_splice_frame(asio::buffer(kHeader), pipe.read_end(), payload.size(),
                                 [&](error_code ec, std::size_t sent) {
                                   EXPECT_FALSE(ec) << ec.message();
                                   EXPECT_EQ(sent, payload.size());
                                   done = true;
                                 });
  EXPECT_FALSE(done) << "the completion is posted, never run inside the call";
  EXPECT_EQ(pair.read_exactly(kHeader.size() + payload.size()), kHeader + payload);
  pair.run_until(done);
  EXPECT_TRUE(done);
  EXPECT_EQ(pipe.held(), 4);
}

TEST(SplicedFrame, AWriteAskedForMeanwhileFollowsTheWholeFrame) {
  SplicePair pair;
  pair.make_buffers_small();
  Pipe pipe;
  const std::string payload = pattern(kBigPayload);
  pipe.put(payload);
  bool spliced = false;
  bool ponged = false;
  pair.stream.async_splice_frame(asio::buffer(kHeader), pipe.read_end(), payload.size(),
                                 [&](error_code ec, std::size_t) {
                                   EXPECT_FALSE(ec) << ec.message();
                                   EXPECT_FALSE(ponged) << "the pong went first";
                                   spliced = true;
                                 });
  const std::string pong = "\x8a\x00";
  asio::async_write(pair.stream, asio::buffer(pong), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec) << ec.message();
    ponged = true;
  });
  EXPECT_EQ(pair.read_exactly(kHeader.size() + payload.size() + pong.size()),
            kHeader + payload + pong);
  pair.run_until(ponged);
  EXPECT_TRUE(spliced && ponged);
}

TEST(SplicedFrame, AVanishedPeerIsAnError) {
  SplicePair pair;
  Pipe pipe;
  pipe.put(pattern(1000));
  pair.peer.close();
  bool done = false;
  pair.stream.async_splice_frame(asio::buffer(kHeader), pipe.read_end(), 1000,
                                 [&](error_code ec, std::size_t) {
                                   EXPECT_TRUE(ec) << "spliced into a closed socket";
                                   done = true;
                                 });
  pair.run_until(done);
  EXPECT_TRUE(done);
}

TEST(SplicedFrame, APipeHoldingLessThanPromisedFailsInsteadOfWaiting) {
  SplicePair pair;
  Pipe pipe;
  pipe.put(pattern(100));  // the write end stays open: the pipe is not at its end
  bool done = false;
  error_code got;
  pair.stream.async_splice_frame(asio::buffer(kHeader), pipe.read_end(), 1000,
                                 [&](error_code ec, std::size_t) {
                                   got = ec;
                                   done = true;
                                 });
  pair.run_until(done);
  EXPECT_TRUE(done);
  EXPECT_EQ(got, boost::system::errc::make_error_code(boost::system::errc::broken_pipe));
}

TEST(SplicedFrameWrite, SaysTheSocketIsFullAndGoesOnWhereItStopped) {
  SplicePair pair;
  pair.make_buffers_small();
  pair.stream.next_layer().non_blocking(true);
  Pipe pipe;
  const std::string payload = pattern(kBigPayload);
  pipe.put(payload);
  SplicedFrameWrite write(asio::buffer(kHeader), pipe.read_end(), payload.size());
  const int fd = pair.stream.next_layer().native_handle();
  error_code ec;
  std::string got;
  int rounds = 0;
  for (;; ++rounds) {
    const auto progress = write.write_some(fd, ec);
    ASSERT_NE(progress, SplicedFrameWrite::Progress::failed) << ec.message();
    std::array<char, 65536> buffer;
    error_code read_error;
    const std::size_t n = pair.peer.read_some(asio::buffer(buffer), read_error);
    got.append(buffer.data(), n);
    if (progress == SplicedFrameWrite::Progress::done) break;
  }
  EXPECT_GT(rounds, 0) << "the socket never filled: the test does not test the wait";
  while (got.size() < kHeader.size() + payload.size()) {
    std::array<char, 65536> buffer;
    got.append(buffer.data(), pair.peer.read_some(asio::buffer(buffer)));
  }
  EXPECT_EQ(got, kHeader + payload);
}

}  // namespace
}  // namespace wsexec
