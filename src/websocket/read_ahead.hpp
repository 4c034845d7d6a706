#pragma once
// Reads ahead from a bare socket (TCP or Unix) under Beast's WebSocket.
//
// Beast reads a frame's header into a buffer of its own of 1,536 bytes and
// the payload into the session's message buffer, which asks for little
// (limits::kWaitingReadBytes). With a client pipelining 1 KiB binary
// messages, each recvmsg brought in a message and a half, so the session
// went lock-step: one recvmsg, one write into the child's stdin, one read
// of its stdout and one sendmsg per message and a half, while 60 KiB waited
// in the socket (perf trace, docs/performance.md). Throughput was half
// websocketd's.
//
// So when a read fills all Beast asked for, the socket may hold more; the
// next read then takes what it holds (up to limits::kReadAheadBytes) in the
// same turn, and Beast's next reads are served from it: the messages of a
// batch then reach the stdin feeder together and leave in one write.
//
// At the next read, not right after the one that filled (as this did
// first): by then Beast has asked for its next piece and more of the batch
// has arrived, so one read takes more: binary 1 KiB about 20 % faster
// (docs/performance.md). Sending the next read straight to the socket when
// it is large (the rest of a long payload, which bytes read ahead reach by
// a second copy) was tried too, and cost 64 KiB messages 6-10 %.
//
// Memory: only bytes read ahead, allocated to their size and released once
// Beast has taken them; an idle connection holds none. Another stream (TLS)
// passes through: Asio's TLS engine already reads whole records.
//
// No frame is parsed here: bytes are only buffered, in order.
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "core/limits.hpp"

namespace wsexec {

template <typename Stream>
concept SocketWithAvailable = requires(Stream& stream, boost::system::error_code& ec) {
  { stream.available(ec) } -> std::convertible_to<std::size_t>;
};

template <typename Stream>
class ReadAhead {
 public:
  using error_code = boost::system::error_code;

  // Bytes read from the socket that no read has taken yet.
  std::size_t buffered() const noexcept { return size_ - taken_; }

  // Called before each read of the socket itself (when nothing is read
  // ahead): the reader's last chance to pass on what it holds before it may
  // wait for the client. Never called for a stream without read-ahead.
  // A plain function and its argument, not a std::function: this lives in
  // Beast's stream state of every connection (16 bytes instead of 32).
  void before_socket_read(void (*hook)(void*), void* argument) {
    before_socket_read_ = hook;
    hook_argument_ = argument;
  }

  // As Stream::async_read_some: completes with what was read ahead if
  // anything is (posted, never inside this call), else reads the socket.
  template <typename MutableBufferSequence, typename ReadHandler>
  auto async_read_some(Stream& stream, const MutableBufferSequence& buffers,
                       ReadHandler&& handler) {
    if constexpr (!SocketWithAvailable<Stream>) {
      return stream.async_read_some(buffers, std::forward<ReadHandler>(handler));
    } else {
      return boost::asio::async_compose<ReadHandler, void(error_code, std::size_t)>(
          ReadOp<MutableBufferSequence>{*this, stream, buffers}, handler, stream);
    }
  }

 private:
  template <typename MutableBufferSequence>
  struct ReadOp {
    ReadAhead& ahead;
    Stream& stream;
    MutableBufferSequence buffers;
    enum class Step { start, served, read } step = Step::start;

    template <typename Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      switch (step) {
        case Step::start:
          if (ahead.buffered() == 0 && ahead.socket_may_hold_more_) {
            ahead.socket_may_hold_more_ = false;
            ahead.fill(stream);
          }
          if (ahead.buffered() > 0 || ahead.deferred_error_) {
            step = Step::served;
            return boost::asio::post(stream.get_executor(), std::move(self));
          }
          step = Step::read;
          if (ahead.before_socket_read_) ahead.before_socket_read_(ahead.hook_argument_);
          return stream.async_read_some(buffers, std::move(self));
        case Step::served:
          if (ahead.buffered() == 0)
            return self.complete(std::exchange(ahead.deferred_error_, {}), 0);
          return self.complete(error_code(), ahead.take(buffers));
        case Step::read:
          ahead.socket_may_hold_more_ = !ec && n == boost::asio::buffer_size(buffers);
          return self.complete(ec, n);
      }
    }
  };

  // Reads what the socket holds now, without waiting: FIONREAD said it is
  // there. An error is kept for the read after the bytes before it.
  void fill(Stream& stream) {
    error_code ec;
    const std::size_t available = stream.available(ec);
    if (ec || available == 0) return;
    const std::size_t wanted = std::min(available, limits::kReadAheadBytes);
    bytes_ = std::make_unique_for_overwrite<char[]>(wanted);
    size_ =
        static_cast<std::uint32_t>(stream.read_some(boost::asio::buffer(bytes_.get(), wanted), ec));
    taken_ = 0;
    if (ec) deferred_error_ = ec;
    if (size_ == 0) release();
  }

  template <typename MutableBufferSequence>
  std::size_t take(const MutableBufferSequence& buffers) {
    const std::size_t n = boost::asio::buffer_copy(
        buffers, boost::asio::const_buffer(bytes_.get() + taken_, buffered()));
    taken_ += static_cast<std::uint32_t>(n);
    if (buffered() == 0) release();
    return n;
  }

  void release() {
    bytes_.reset();
    size_ = 0;
    taken_ = 0;
  }

  std::unique_ptr<char[]> bytes_;  // read ahead; null when nothing is
  // At most limits::kReadAheadBytes: 32 bits are enough, and 8 bytes less
  // for every connection.
  static_assert(limits::kReadAheadBytes <= UINT32_MAX);
  std::uint32_t size_ = 0;
  std::uint32_t taken_ : 31 = 0;
  // The last read of the socket filled all it asked for: the next read
  // reads ahead. A bit beside taken_, so the state stays 48 bytes.
  std::uint32_t socket_may_hold_more_ : 1 = 0;
  error_code deferred_error_;  // the socket's error after the bytes read ahead
  void (*before_socket_read_)(void*) = nullptr;
  void* hook_argument_ = nullptr;
};

}  // namespace wsexec
