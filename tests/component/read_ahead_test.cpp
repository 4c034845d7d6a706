// ReadAhead against a real socket pair and a real event loop: after a read
// that fills its buffer, the next read takes what else the socket holds;
// the bytes come out whole, in order, each completion outside the call
// that asked; the end of the stream comes after the bytes before it;
// nothing is held once taken.
#include "websocket/read_ahead.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <string>

namespace wsexec {
namespace {

namespace asio = boost::asio;
using Socket = asio::local::stream_protocol::socket;
using boost::system::error_code;
using namespace std::chrono_literals;

// As Beast reads a frame header: 1,536 bytes at a time.
constexpr std::size_t kBeastSizedRead = 1536;

struct SocketPair {
  asio::io_context context{1};
  Socket reader{context};
  Socket writer{context};
  ReadAhead<Socket> ahead;

  SocketPair() { asio::local::connect_pair(reader, writer); }

  // A pattern that shows reordering or loss, not only a wrong count.
  static std::string pattern(std::size_t size) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
      bytes[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
    return bytes;
  }

  // One read through the read-ahead, run to its completion.
  std::size_t read_once(char* into, std::size_t size, error_code& ec) {
    std::size_t got = 0;
    bool done = false;
    ahead.async_read_some(reader, asio::buffer(into, size), [&](error_code e, std::size_t n) {
      ec = e;
      got = n;
      done = true;
    });
    context.restart();
    while (!done && context.run_one_for(2s) > 0) {
    }
    EXPECT_TRUE(done) << "the read never completed";
    return got;
  }

  std::size_t unread_in_socket() {
    error_code ec;
    const std::size_t n = reader.available(ec);
    EXPECT_FALSE(ec) << ec.message();
    return n;
  }
};

TEST(ReadAhead, AfterAReadThatFillsItsBufferTheNextReadTakesTheRestOfTheBatch) {
  SocketPair p;
  const std::string sent = SocketPair::pattern(20'000);
  asio::write(p.writer, asio::buffer(sent));
  char first[kBeastSizedRead];
  char second[kBeastSizedRead];
  error_code ec;
  ASSERT_EQ(p.read_once(first, sizeof first, ec), sizeof first);
  ASSERT_FALSE(ec) << ec.message();
  // Not yet: the read ahead waits for the next read, when more has come.
  EXPECT_EQ(p.ahead.buffered(), 0u);
  EXPECT_EQ(p.unread_in_socket(), sent.size() - sizeof first);
  ASSERT_EQ(p.read_once(second, sizeof second, ec), sizeof second);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(p.unread_in_socket(), 0u) << "the batch was left in the socket, one read per buffer";
  EXPECT_EQ(p.ahead.buffered(), sent.size() - 2 * kBeastSizedRead);
  EXPECT_EQ(std::string(first, sizeof first) + std::string(second, sizeof second),
            sent.substr(0, 2 * kBeastSizedRead));
}

TEST(ReadAhead, BytesComeOutWholeAndInOrderAndNothingIsHeldAfterwards) {
  SocketPair p;
  const std::string sent = SocketPair::pattern(200'000);  // more than one read-ahead
  std::string received;
  char buffer[kBeastSizedRead];
  std::size_t written = 0;
  while (received.size() < sent.size()) {
    // The writer keeps up to 100 KB ahead, as a pipelining client, and
    // within what the socket buffers (so its blocking write never waits).
    if (written < sent.size() && written - received.size() < 50'000) {
      written +=
          asio::write(p.writer, asio::buffer(sent.data() + written,
                                             std::min<std::size_t>(50'000, sent.size() - written)));
    }
    error_code ec;
    const std::size_t n = p.read_once(buffer, sizeof buffer, ec);
    ASSERT_FALSE(ec) << ec.message() << " after " << received.size() << " bytes";
    received.append(buffer, n);
  }
  EXPECT_TRUE(received == sent) << "bytes lost, repeated or out of order";
  EXPECT_EQ(p.ahead.buffered(), 0u);
}

TEST(ReadAhead, AShortReadReadsNoFurther) {
  SocketPair p;
  asio::write(p.writer, asio::buffer(std::string(100, 'x')));
  char buffer[kBeastSizedRead];
  error_code ec;
  EXPECT_EQ(p.read_once(buffer, sizeof buffer, ec), 100u);
  EXPECT_EQ(p.ahead.buffered(), 0u);
}

TEST(ReadAhead, TheEndOfTheStreamComesAfterTheBytesReadAhead) {
  SocketPair p;
  const std::string sent = SocketPair::pattern(5'000);
  asio::write(p.writer, asio::buffer(sent));
  p.writer.close();
  std::string received;
  char buffer[kBeastSizedRead];
  error_code ec;
  for (int reads = 0; reads < 20 && !ec; ++reads) {
    const std::size_t n = p.read_once(buffer, sizeof buffer, ec);
    received.append(buffer, n);
  }
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_TRUE(received == sent) << received.size() << " bytes before the end, " << sent.size()
                                << " sent";
}

TEST(ReadAhead, ServedReadsCompleteOutsideTheCallThatAsked) {
  SocketPair p;
  asio::write(p.writer, asio::buffer(SocketPair::pattern(10'000)));
  char buffer[kBeastSizedRead];
  error_code ec;
  p.read_once(buffer, sizeof buffer, ec);  // fills its buffer: the next read reads ahead
  p.read_once(buffer, sizeof buffer, ec);
  ASSERT_GT(p.ahead.buffered(), 0u);
  bool returned = false;
  bool completed_inside = false;
  bool completed = false;
  p.ahead.async_read_some(p.reader, asio::buffer(buffer), [&](error_code, std::size_t) {
    completed_inside = !returned;
    completed = true;
  });
  returned = true;
  p.context.restart();
  p.context.run_for(200ms);
  EXPECT_TRUE(completed);
  EXPECT_FALSE(completed_inside) << "a completion inside the call lets a reader recurse";
}

}  // namespace
}  // namespace wsexec
