#pragma once
// A stream layer under the WebSocket that can hold writes back ("cork") and
// send them together. The relay corks before it turns one read of the
// child's output into messages and flushes after, so fifty lines read at
// once leave in one sendmsg (one TLS record) instead of fifty. Uncorked and
// with nothing held, writes pass straight through: a lone message costs no
// copy and no delay.
//
// The rules that keep the byte stream whole:
// - One write at a time reaches the socket, whole, in the order asked for.
//   Beast keeps its own writes apart, but the session may also write
//   encoded frames straight through this layer (a shared program's output,
//   ClientWriter::try_send_encoded_now) while Beast answers a ping: each
//   such write is handed on whole (asio::async_write), and a write asked for
//   while another is on the socket waits its turn. A write_some call is
//   therefore always written whole.
// - While corked, a write is appended to the held bytes and acknowledged at
//   once; those bytes go out at the flush, in the flush's turn (after any
//   write already on the socket or waiting before it).
// - While a flush waits or its bytes are being sent, a new write waits for
//   it (it is not appended and acknowledged): the held bytes are never
//   changed while they are written, and a client that sends pings but reads
//   nothing cannot make us buffer pongs without bound.
// - Beast's teardown (after a close frame) waits until everything held has
//   been sent, so a close reply written while corked is never cut off.
// - Once a write has failed, every write after it, and every one waiting,
//   fails with the same error without reaching the socket (see
//   fail_at_once), so nothing waits for a connection that is gone.
// - Beast's teardown after a close the client began waits for it to end
//   TCP with no limit of its own; given a TeardownSweep (limit_teardown_by),
//   that wait is ended after one to two of its periods
//   (server/teardown_sweep.hpp).
//
// Reads pass through a ReadAhead (read_ahead.hpp), which serves Beast's
// small reads of a pipelined batch from one read of the socket.
//
// Include only where a WebSocket session is instantiated (it pulls in Beast).
#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "server/teardown_sweep.hpp"
#include "websocket/lowest_socket.hpp"
#include "websocket/read_ahead.hpp"

namespace wsexec {

template <typename NextLayer>
class CorkableStream {
 public:
  // NextLayer may be a reference (a stream the caller keeps, as a
  // resumable connection's is) or the stream itself.
  using next_layer_type = NextLayer;
  using executor_type = typename std::remove_reference_t<NextLayer>::executor_type;

  explicit CorkableStream(NextLayer next) : next_(std::forward<NextLayer>(next)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  // From now until the flush, writes are held back.
  void cork() noexcept { corked_ = true; }
  std::size_t held_bytes() const noexcept { return held_.size(); }
  // Bytes read from the socket that Beast has not taken yet.
  std::size_t read_ahead_bytes() const noexcept { return read_ahead_.buffered(); }
  // See ReadAhead::before_socket_read.
  void before_socket_read(void (*hook)(void*), void* argument) {
    read_ahead_.before_socket_read(hook, argument);
  }

  // Uncorks and sends everything held, in its turn (after a write still
  // on the socket), then completes with void(error_code), posted; at once
  // when nothing is held and nothing is being written.
  template <typename FlushHandler>
  auto async_flush(FlushHandler&& handler) {
    return boost::asio::async_initiate<FlushHandler, void(boost::system::error_code)>(
        [this](auto handler) {
          corked_ = false;
          flush_in_turn([this, handler = std::move(handler)](boost::system::error_code ec) mutable {
            boost::asio::post(get_executor(),
                              boost::beast::bind_front_handler(std::move(handler), ec));
          });
        },
        handler);
  }

  // The first failed write's error (none yet: an empty one).
  boost::system::error_code write_error() const noexcept { return write_failed_; }

  // Nothing held, nothing on the socket, nothing waiting.
  bool idle() const noexcept { return !writing_ && !waiting_ && held_.empty(); }
  // A write is on the socket, not yet done.
  bool writing() const noexcept { return writing_; }
  // Grows each time a write starts and each time the socket takes a piece
  // of one: a write whose count stands still is one the peer takes nothing
  // of (ending_write_watch.hpp).
  std::uint32_t write_progress() const noexcept { return write_progress_; }

  // Reads go through the read-ahead (read_ahead.hpp): Beast's small reads
  // of a pipelined batch are served from one read of the socket.
  template <typename MutableBufferSequence, typename ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers, ReadHandler&& handler) {
    return read_ahead_.async_read_some(next_, buffers, std::forward<ReadHandler>(handler));
  }

  template <typename ConstBufferSequence, typename WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& buffers) {
          if (close_code_replacement_ != 0 && is_bare_close_frame(buffers)) {
            boost::asio::buffer_copy(boost::asio::buffer(rewritten_close_), buffers);
            rewritten_close_[2] = static_cast<unsigned char>(close_code_replacement_ >> 8);
            rewritten_close_[3] = static_cast<unsigned char>(close_code_replacement_ & 0xff);
            close_code_replacement_ = 0;
            start_write(boost::asio::const_buffer(rewritten_close_.data(), rewritten_close_.size()),
                        std::move(handler));
          } else {
            start_write(buffers, std::move(handler));
          }
        },
        handler, buffers);
  }

  // Beast (1.74, and 1.81 too) takes every close code from 5000 up for a
  // valid one and echoes it back; RFC 6455 (7.4) reserves none of them for
  // use on the wire, so a peer that sends one must get 1002 (protocol error)
  // and we must never send such a code ourselves. The session calls this from
  // Beast's control callback, which runs once the peer's close frame is read
  // and before Beast writes its reply: that reply is then the next close
  // frame written through this layer, and only its two code bytes change.
  // (No frame is parsed here: Beast's reply to a close is one write of
  // exactly four bytes, 0x88 0x02 and the code, recognised as such.)
  void answer_next_close_with(std::uint16_t code) noexcept { close_code_replacement_ = code; }

  // For Beast's teardown (see the functions below): runs `then` once
  // everything held and everything asked for before has been written; at
  // once when the layer is idle.
  template <typename Then>
  void when_sent(Then then) {
    flush_in_turn([then = std::move(then)](boost::system::error_code) mutable { then(); });
  }

  // The worker's sweep, which limits how long Beast's teardown may wait for
  // the client (set once, by the session; without one, no limit).
  void limit_teardown_by(TeardownSweep& sweep) noexcept { teardown_sweep_ = &sweep; }
  // Beast's teardown of the layer below starts now: its wait is the sweep's
  // to end. The entry is made only now: an idle connection (thousands of
  // them on a shared program) holds the sweep's pointer and a null one.
  void teardown_starts() {
    if (!teardown_sweep_) return;
    if (!teardown_wait_) teardown_wait_ = std::make_unique<TeardownWait>(next_);
    teardown_sweep_->link(*teardown_wait_);
  }

 private:
  // Ends the teardown's wait by closing the socket under everything: the
  // read for the client's FIN (or TLS's wait for close_notify) fails, and
  // Beast's close completes.
  struct TeardownWait final : TeardownSweep::Entry {
    explicit TeardownWait(NextLayer& layer) : next(layer) {}
    void end_wait() noexcept override {
      boost::system::error_code ignored;
      socket_of(boost::beast::get_lowest_layer(next)).close(ignored);
    }
    NextLayer& next;
  };

  // The three ways a write goes (see the rules at the top).
  template <typename ConstBufferSequence, typename Handler>
  void start_write(const ConstBufferSequence& buffers, Handler handler) {
    if (write_failed_) return fail_at_once(std::move(handler));
    if (may_append()) return append(buffers, std::move(handler));
    wait_for_turn([this, buffers, handler = std::move(handler)]() mutable {
      if (write_failed_) return fail_at_once(std::move(handler));
      if (may_append()) return append(buffers, std::move(handler));
      hand_on(buffers, std::move(handler));
    });
  }

  // Once a write has failed, no other is tried: Asio (1.74) takes a send
  // that failed for one that filled the socket, and waits for the socket to
  // turn writable again before it tries the next one, which, on a
  // connection reset by its peer, it never does. A close reply queued
  // behind such a write hung, and its session with it (the program and its
  // pipes kept until the server stopped).
  template <typename Handler>
  void fail_at_once(Handler handler) {
    boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                          std::move(handler), write_failed_, std::size_t{0}));
  }

  bool may_append() const noexcept { return corked_ && flushes_waiting_ == 0 && !sending_held_; }

  template <typename ConstBufferSequence, typename Handler>
  void append(const ConstBufferSequence& buffers, Handler handler) {
    const std::size_t size = boost::asio::buffer_size(buffers);
    const std::size_t at = held_.size();
    held_.resize(at + size);
    boost::asio::buffer_copy(boost::asio::buffer(held_.data() + at, size), buffers);
    boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                          std::move(handler), boost::system::error_code(), size));
  }

  // Writes the buffers whole; the next turn is taken before the handler
  // runs, so whatever the handler asks for next queues behind what waited.
  template <typename ConstBufferSequence, typename Handler>
  void hand_on(const ConstBufferSequence& buffers, Handler handler) {
    writing_ = true;
    boost::asio::async_write(next_, buffers, WholeWrites{&write_progress_},
                             [this, handler = std::move(handler)](boost::system::error_code ec,
                                                                  std::size_t written) mutable {
                               writing_ = false;
                               if (ec) write_failed_ = ec;
                               take_next_turn();
                               handler(ec, written);
                             });
  }

  // Sends what is held in its turn, then tells `done` how it went (at once
  // when nothing is held). Memory is given back at the end, so an idle
  // connection holds no buffer.
  template <typename Done>
  void flush_in_turn(Done done) {
    ++flushes_waiting_;
    wait_for_turn([this, done = std::move(done)]() mutable {
      --flushes_waiting_;
      if (write_failed_) held_ = std::string();  // never to be sent
      if (held_.empty()) return done(write_failed_);
      writing_ = true;
      sending_held_ = true;
      boost::asio::async_write(
          next_, boost::asio::buffer(held_), WholeWrites{&write_progress_},
          [this, done = std::move(done)](boost::system::error_code ec, std::size_t) mutable {
            writing_ = false;
            sending_held_ = false;
            if (ec) write_failed_ = ec;
            held_ = std::string();
            take_next_turn();
            done(ec);
          });
    });
  }

  // Asio's async_write hands the stream at most 64 KiB per write_some
  // (transfer_all's default), so a 64 KiB chunk of output and its frame
  // header took two sendmsg calls, the second for the header's worth of
  // bytes. This condition offers the stream everything that is left: the
  // kernel takes what fits, and a TLS stream still writes one record per
  // call. Asio asks it before the first piece and after each, which is
  // what write_progress() counts.
  struct WholeWrites {
    std::uint32_t* progress;
    std::size_t operator()(const boost::system::error_code& ec, std::size_t) const noexcept {
      ++*progress;
      return ec ? 0 : std::numeric_limits<std::size_t>::max();
    }
  };

  // A server's close frame carrying a code and no reason: FIN + opcode 8,
  // unmasked payload length 2, then the code.
  template <typename ConstBufferSequence>
  static bool is_bare_close_frame(const ConstBufferSequence& buffers) {
    if (boost::asio::buffer_size(buffers) != 4) return false;
    std::array<unsigned char, 2> head{};
    boost::asio::buffer_copy(boost::asio::buffer(head), buffers);
    return head[0] == 0x88 && head[1] == 0x02;
  }

  // Something waiting for its turn. The waiting actions are a singly
  // linked list, each owning the next: an idle connection holds one null
  // pointer (this layer lives in Beast's stream state of every connection,
  // thousands for a shared program).
  struct Waiting {
    virtual ~Waiting() = default;
    virtual void run() = 0;
    std::unique_ptr<Waiting> next;
  };
  template <typename Action>
  struct WaitingAction final : Waiting {
    explicit WaitingAction(Action a) : action(std::move(a)) {}
    void run() override { action(); }
    Action action;
  };

  // Runs `action` now if nothing is on the socket and nothing waits, else
  // after what is there, in the order asked for (a few at most).
  template <typename Action>
  void wait_for_turn(Action action) {
    if (!writing_ && !waiting_) return action();
    std::unique_ptr<Waiting>* last = &waiting_;
    while (*last) last = &(*last)->next;
    *last = std::make_unique<WaitingAction<Action>>(std::move(action));
  }

  // Runs what waits until one of them puts a write on the socket.
  void take_next_turn() {
    while (!writing_ && waiting_) {
      std::unique_ptr<Waiting> first = std::move(waiting_);
      waiting_ = std::move(first->next);
      first->run();
    }
  }

  NextLayer next_;
  ReadAhead<NextLayer> read_ahead_;
  std::string held_;                   // written by Beast while corked, not yet sent
  std::unique_ptr<Waiting> waiting_;   // the first action waiting for its turn
  std::uint32_t flushes_waiting_ = 0;  // asked for, not yet in their turn
  // See write_progress(); only ever compared for a change, so its wrapping
  // is harmless. Fits in the padding before the flags.
  std::uint32_t write_progress_ = 0;
  bool corked_ = false;
  bool writing_ = false;                      // a write is on the socket
  bool sending_held_ = false;                 // ... and it is the held bytes
  std::uint16_t close_code_replacement_ = 0;  // 0: none asked for
  boost::system::error_code write_failed_;    // the first failed write's error, kept
  std::array<unsigned char, 4> rewritten_close_{};
  TeardownSweep* teardown_sweep_ = nullptr;
  std::unique_ptr<TeardownWait> teardown_wait_;  // once the teardown has started
};

// Beast ends a WebSocket connection through its next layer's teardown: ours
// first sends what is held (a close reply written while we were corked),
// then tears down the layer we wrap.
template <typename NextLayer>
void teardown(boost::beast::role_type role, CorkableStream<NextLayer>& stream,
              boost::system::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);  // only async closes are used; nothing is held then
}

template <typename NextLayer, typename TeardownHandler>
void async_teardown(boost::beast::role_type role, CorkableStream<NextLayer>& stream,
                    TeardownHandler&& handler) {
  stream.when_sent([role, &stream, handler = std::forward<TeardownHandler>(handler)]() mutable {
    // A connection whose writes failed has nothing to tear down, and TLS's
    // teardown would write its close_notify under this layer, where it
    // would wait for ever as any write after a failed one does.
    if (const boost::system::error_code failed = stream.write_error()) {
      return boost::asio::post(stream.get_executor(),
                               boost::beast::bind_front_handler(std::move(handler), failed));
    }
    stream.teardown_starts();
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::move(handler));
  });
}

}  // namespace wsexec
