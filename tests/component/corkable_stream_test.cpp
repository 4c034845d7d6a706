// CorkableStream against a real socket pair and a real event loop: corked
// writes are held and leave together at the flush; a write or a flush asked
// for while a flush is in progress waits for it, in the order asked; a
// flush waits for a write still on the socket; one write_some call is
// written whole before the next; nothing is held once the flush is done.
#include "websocket/corkable_stream.hpp"

#include <gtest/gtest.h>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace wsexec {
namespace {

namespace asio = boost::asio;
using Socket = asio::local::stream_protocol::socket;
using boost::system::error_code;
using namespace std::chrono_literals;

struct CorkedPair {
  asio::io_context context{1};
  CorkableStream<Socket> stream{Socket(context)};
  Socket peer{context};

  CorkedPair() { asio::local::connect_pair(stream.next_layer(), peer); }

  // Reads exactly `size` bytes from the peer, running the loop meanwhile.
  std::string read_exactly(std::size_t size) {
    std::string got(size, '\0');
    bool done = false;
    asio::async_read(peer, asio::buffer(got), [&](error_code ec, std::size_t n) {
      EXPECT_FALSE(ec) << ec.message();
      got.resize(n);
      done = true;
    });
    context.restart();
    while (!done && context.run_one_for(5s) > 0) {
    }
    EXPECT_TRUE(done) << "the bytes never came";
    return got;
  }

  // The socket takes a few KiB at a time, so a write of tens of KiB is
  // still in progress while the test asks for the next one.
  void make_send_buffer_small() {
    stream.next_layer().set_option(asio::socket_base::send_buffer_size(4096));
    peer.set_option(asio::socket_base::receive_buffer_size(4096));
  }

  void run_until(const bool& done) {
    context.restart();
    while (!done && context.run_one_for(5s) > 0) {
    }
  }
};

std::string pattern(std::size_t size, char first) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(first + (i * 7) % 26);
  return bytes;
}

TEST(CorkableStream, CorkedWritesLeaveTogetherAtTheFlush) {
  CorkedPair pair;
  pair.stream.cork();
  const std::string one = pattern(100, 'a');
  const std::string two = pattern(50, 'A');
  int written = 0;
  asio::async_write(pair.stream, asio::buffer(one), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    ++written;
  });
  asio::async_write(pair.stream, asio::buffer(two), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    ++written;
  });
  pair.context.restart();
  pair.context.poll();
  EXPECT_EQ(written, 2);
  EXPECT_EQ(pair.stream.held_bytes(), one.size() + two.size());
  error_code ignored;
  EXPECT_EQ(pair.peer.available(ignored), 0u) << "held bytes went out before the flush";

  bool flushed = false;
  pair.stream.async_flush([&](error_code ec) {
    EXPECT_FALSE(ec);
    flushed = true;
  });
  EXPECT_EQ(pair.read_exactly(one.size() + two.size()), one + two);
  pair.run_until(flushed);
  EXPECT_TRUE(flushed);
  EXPECT_EQ(pair.stream.held_bytes(), 0u);
}

// The flush is larger than the socket takes at once, so it is still in
// progress while the write and the second flush are asked for: both wait,
// the write's bytes come after the flush's whole, and what waited runs in
// the order it was asked for.
TEST(CorkableStream, WhatIsAskedForDuringAFlushWaitsForItInOrder) {
  CorkedPair pair;
  const std::string held = pattern(4 * 1024 * 1024, 'a');
  const std::string after = pattern(300, 'A');
  pair.stream.cork();
  asio::async_write(pair.stream, asio::buffer(held),
                    [](error_code ec, std::size_t) { EXPECT_FALSE(ec); });
  pair.context.restart();
  pair.context.poll();
  ASSERT_EQ(pair.stream.held_bytes(), held.size());

  std::vector<int> order;
  pair.stream.async_flush([&](error_code ec) {
    EXPECT_FALSE(ec);
    order.push_back(1);
  });
  pair.context.restart();
  pair.context.poll();  // the flush starts and fills the socket
  ASSERT_TRUE(order.empty()) << "the flush ended before the peer read anything";
  bool after_written = false;
  asio::async_write(pair.stream, asio::buffer(after), [&](error_code ec, std::size_t n) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(n, after.size());
    after_written = true;
  });
  bool second_flushed = false;
  pair.stream.async_flush([&](error_code ec) {
    EXPECT_FALSE(ec);
    order.push_back(2);
    second_flushed = true;
  });

  EXPECT_EQ(pair.read_exactly(held.size() + after.size()), held + after);
  pair.run_until(second_flushed);
  EXPECT_TRUE(after_written);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(pair.stream.held_bytes(), 0u);
}

// A shared program's client writes encoded frames through the layer with
// one write_some call while Beast may write a pong: the call must go out
// whole, and the next write after it, never between its pieces.
TEST(CorkableStream, OneWriteSomeCallIsWrittenWholeBeforeTheNextWrite) {
  CorkedPair pair;
  pair.make_send_buffer_small();
  const std::string frames = pattern(60 * 1024, 'a');
  const std::string pong = pattern(6, 'A');
  std::size_t first_written = 0;
  bool pong_written = false;
  pair.stream.async_write_some(asio::buffer(frames), [&](error_code ec, std::size_t n) {
    EXPECT_FALSE(ec);
    first_written = n;
  });
  asio::async_write(pair.stream, asio::buffer(pong), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    pong_written = true;
  });
  EXPECT_EQ(pair.read_exactly(frames.size() + pong.size()), frames + pong);
  pair.run_until(pong_written);
  EXPECT_EQ(first_written, frames.size()) << "the write_some call was not written whole";
}

// Counts the stream's write_some calls and their sizes: what reaches the
// socket, one system call each.
struct CountingSocket {
  using executor_type = Socket::executor_type;
  Socket socket;
  std::vector<std::size_t>* calls;

  executor_type get_executor() { return socket.get_executor(); }
  template <typename Buffers, typename Handler>
  auto async_write_some(const Buffers& buffers, Handler&& handler) {
    calls->push_back(asio::buffer_size(buffers));
    return socket.async_write_some(buffers, std::forward<Handler>(handler));
  }
  template <typename Buffers, typename Handler>
  auto async_read_some(const Buffers& buffers, Handler&& handler) {
    return socket.async_read_some(buffers, std::forward<Handler>(handler));
  }
  // What the layer's teardown limit closes.
  void close(boost::system::error_code& ec) { socket.close(ec); }
};

// A 64 KiB chunk of output and its 10-byte frame header are offered to the
// socket in one call: Asio's async_write, by default, offers at most
// 64 KiB per call, which cost every such frame a second system call for
// its last 10 bytes.
TEST(CorkableStream, AFrameOfA64KiBChunkIsOfferedToTheSocketInOneCall) {
  asio::io_context context{1};
  std::vector<std::size_t> calls;
  CorkableStream<CountingSocket> stream{CountingSocket{Socket(context), &calls}};
  Socket peer{context};
  asio::local::connect_pair(stream.next_layer().socket, peer);
  stream.next_layer().socket.set_option(asio::socket_base::send_buffer_size(1 << 20));
  const std::string header = pattern(10, 'h');
  const std::string payload = pattern(64 * 1024, 'p');
  bool written = false;
  stream.async_write_some(std::array{asio::buffer(header), asio::buffer(payload)},
                          [&](error_code ec, std::size_t n) {
                            EXPECT_FALSE(ec);
                            EXPECT_EQ(n, header.size() + payload.size());
                            written = true;
                          });
  std::string got(header.size() + payload.size(), '\0');
  bool read = false;
  asio::async_read(peer, asio::buffer(got), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    read = true;
  });
  while (!(written && read) && context.run_one_for(5s) > 0) {
  }
  ASSERT_TRUE(written && read);
  EXPECT_EQ(got, header + payload);
  EXPECT_EQ(calls, (std::vector<std::size_t>{header.size() + payload.size()}));
}

// A write is on the socket (a pong, or frames written straight through)
// when the writer, having corked, flushes: the held bytes must follow that
// write, not go out beside it.
TEST(CorkableStream, AFlushWaitsForAWriteStillInFlightAndFollowsIt) {
  CorkedPair pair;
  pair.make_send_buffer_small();
  const std::string in_flight = pattern(60 * 1024, 'a');
  const std::string held = pattern(500, 'A');
  bool flushed = false;
  asio::async_write(pair.stream, asio::buffer(in_flight),
                    [](error_code ec, std::size_t) { EXPECT_FALSE(ec); });
  pair.stream.cork();
  asio::async_write(pair.stream, asio::buffer(held),
                    [](error_code ec, std::size_t) { EXPECT_FALSE(ec); });
  pair.context.restart();
  pair.context.poll();
  ASSERT_EQ(pair.stream.held_bytes(), held.size());
  pair.stream.async_flush([&](error_code ec) {
    EXPECT_FALSE(ec);
    flushed = true;
  });
  EXPECT_EQ(pair.read_exactly(in_flight.size() + held.size()), in_flight + held);
  pair.run_until(flushed);
  EXPECT_TRUE(flushed);
  EXPECT_TRUE(pair.stream.idle());
}

// The flush waits behind a write on the socket; a write asked for after
// the flush (uncorked now) must come after the held bytes, not jump ahead
// of them when the socket frees up.
TEST(CorkableStream, AWriteAskedForWhileAFlushWaitsComesAfterTheHeldBytes) {
  CorkedPair pair;
  pair.make_send_buffer_small();
  const std::string in_flight = pattern(60 * 1024, 'a');
  const std::string held = pattern(500, 'A');
  const std::string later = pattern(40, 'a');
  std::vector<int> order;
  asio::async_write(pair.stream, asio::buffer(in_flight), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    order.push_back(1);
  });
  pair.stream.cork();
  asio::async_write(pair.stream, asio::buffer(held),
                    [](error_code ec, std::size_t) { EXPECT_FALSE(ec); });
  pair.context.restart();
  pair.context.poll();
  pair.stream.async_flush([&](error_code ec) {
    EXPECT_FALSE(ec);
    order.push_back(2);
  });
  bool later_written = false;
  asio::async_write(pair.stream, asio::buffer(later), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    order.push_back(3);
    later_written = true;
  });
  EXPECT_EQ(pair.read_exactly(in_flight.size() + held.size() + later.size()),
            in_flight + held + later);
  pair.run_until(later_written);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_TRUE(pair.stream.idle());
}

// Once a write has failed (the peer went away while a flush was stuck on a
// full socket), what waited for its turn fails too, and so does any write
// asked for later, at once: handed to Asio, it would wait for the dead
// socket to turn writable again, for ever.
TEST(CorkableStream, WritesAfterAFailedOneFailAtOnce) {
  CorkedPair pair;
  pair.make_send_buffer_small();
  pair.stream.cork();
  const std::string held = pattern(256 * 1024, 'a');
  bool appended = false;
  asio::async_write(pair.stream, asio::buffer(held), [&](error_code ec, std::size_t) {
    EXPECT_FALSE(ec);
    appended = true;
  });
  pair.run_until(appended);
  ASSERT_TRUE(appended);

  error_code flushed, queued;
  bool flush_done = false, queued_done = false;
  pair.stream.async_flush([&](error_code ec) {
    flushed = ec;
    flush_done = true;
  });
  const std::string tail = "tail";
  asio::async_write(pair.stream, asio::buffer(tail), [&](error_code ec, std::size_t) {
    queued = ec;
    queued_done = true;
  });
  pair.context.restart();
  pair.context.run_for(50ms);  // the peer reads nothing: the flush stays on the socket
  ASSERT_FALSE(flush_done);
  pair.peer.close();
  pair.run_until(queued_done);
  pair.run_until(flush_done);
  EXPECT_TRUE(flush_done);
  EXPECT_TRUE(flushed);
  ASSERT_TRUE(queued_done) << "the write queued behind the failed flush never completed";
  EXPECT_TRUE(queued);
  EXPECT_EQ(queued, flushed);  // the same error

  bool later_done = false;
  error_code later;
  asio::async_write(pair.stream, asio::buffer(tail), [&](error_code ec, std::size_t) {
    later = ec;
    later_done = true;
  });
  pair.run_until(later_done);
  ASSERT_TRUE(later_done);
  EXPECT_TRUE(later);
}

}  // namespace
}  // namespace wsexec
