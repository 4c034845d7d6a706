#pragma once
// A stream layer under the WebSocket that can hold writes back ("cork") and
// send them together. The relay corks before it turns one read of the
// child's output into messages and flushes after, so fifty lines read at
// once leave in one sendmsg (one TLS record) instead of fifty. Uncorked and
// with nothing held, writes pass straight through: a lone message costs no
// copy and no delay.
//
// The rules that keep the byte stream whole:
// - Beast never has two writes in flight on its next layer, so what is
//   appended while corked always comes after what was already handed on.
// - While held bytes are being sent, a new write waits for that to finish
//   (it is not appended and acknowledged): the next layer never sees two
//   writes at once, and a client that sends pings but reads nothing cannot
//   make us buffer pongs without bound.
// - Beast's teardown (after a close frame) waits until everything held has
//   been sent, so a close reply written while corked is never cut off.
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
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "websocket/read_ahead.hpp"

namespace wsexec {

template <typename NextLayer>
class CorkableStream {
 public:
  using next_layer_type = NextLayer;
  using executor_type = typename NextLayer::executor_type;

  explicit CorkableStream(NextLayer next) : next_(std::move(next)) {}

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

  // Uncorks and sends everything held, then completes with
  // void(error_code); at once (posted) when nothing is held.
  template <typename FlushHandler>
  auto async_flush(FlushHandler&& handler) {
    return boost::asio::async_initiate<FlushHandler, void(boost::system::error_code)>(
        [this](auto handler) {
          corked_ = false;
          if (!flushing_ && held_.empty()) {
            boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                                  std::move(handler), boost::system::error_code()));
            return;
          }
          after_flush(std::move(handler));
          if (!flushing_) send_held();
        },
        handler);
  }

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
  // nothing is held any more, at once when nothing is.
  template <typename Then>
  void when_sent(Then then) {
    if (!flushing_ && held_.empty()) {
      then();
      return;
    }
    after_flush([then = std::move(then)](boost::system::error_code) mutable { then(); });
    if (!flushing_) send_held();
  }

 private:
  // The three ways a write goes (see the rules at the top).
  template <typename ConstBufferSequence, typename Handler>
  void start_write(const ConstBufferSequence& buffers, Handler handler) {
    if (flushing_) {
      // Handed on once the held bytes are out.
      after_flush(
          [this, buffers, handler = std::move(handler)](boost::system::error_code ec) mutable {
            if (ec) {
              boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                                    std::move(handler), ec, std::size_t{0}));
            } else {
              next_.async_write_some(buffers, std::move(handler));
            }
          });
    } else if (corked_) {
      const std::size_t size = boost::asio::buffer_size(buffers);
      const std::size_t at = held_.size();
      held_.resize(at + size);
      boost::asio::buffer_copy(boost::asio::buffer(held_.data() + at, size), buffers);
      boost::asio::post(get_executor(), boost::beast::bind_front_handler(
                                            std::move(handler), boost::system::error_code(), size));
    } else {
      next_.async_write_some(buffers, std::move(handler));
    }
  }

  // A server's close frame carrying a code and no reason: FIN + opcode 8,
  // unmasked payload length 2, then the code.
  template <typename ConstBufferSequence>
  static bool is_bare_close_frame(const ConstBufferSequence& buffers) {
    if (boost::asio::buffer_size(buffers) != 4) return false;
    std::array<unsigned char, 2> head{};
    boost::asio::buffer_copy(boost::asio::buffer(head), buffers);
    return head[0] == 0x88 && head[1] == 0x02;
  }

  // Something to do once the flush in progress ends, told how it ended.
  // The waiting actions are a singly linked list, each owning the next: an
  // idle connection holds one null pointer (this layer lives in Beast's
  // stream state of every connection, thousands for a shared program).
  struct Pending {
    virtual ~Pending() = default;
    virtual void run(boost::system::error_code ec) = 0;
    std::unique_ptr<Pending> next;
  };
  template <typename Action>
  struct PendingAction final : Pending {
    explicit PendingAction(Action a) : action(std::move(a)) {}
    void run(boost::system::error_code ec) override { action(ec); }
    Action action;
  };

  // Appended at the end: they run in the order they came (a few at most).
  template <typename Action>
  void after_flush(Action action) {
    std::unique_ptr<Pending>* last = &pending_;
    while (*last) last = &(*last)->next;
    *last = std::make_unique<PendingAction<Action>>(std::move(action));
  }

  // Writes what is held, then runs what waited for it. While the flush is
  // in progress nothing is appended to held_ (every write waits in
  // pending_), so it is sent from where it is. Memory is given back at the
  // end, so an idle connection holds no buffer.
  void send_held() {
    flushing_ = true;
    boost::asio::async_write(next_, boost::asio::buffer(held_),
                             [this](boost::system::error_code ec, std::size_t) {
                               flushing_ = false;
                               held_ = std::string();
                               std::unique_ptr<Pending> waiting = std::move(pending_);
                               while (waiting) {
                                 std::unique_ptr<Pending> next = std::move(waiting->next);
                                 waiting->run(ec);
                                 waiting = std::move(next);
                               }
                             });
  }

  NextLayer next_;
  ReadAhead<NextLayer> read_ahead_;
  std::string held_;                  // written by Beast while corked, not yet sent
  std::unique_ptr<Pending> pending_;  // the first action waiting for the send to end
  bool corked_ = false;
  bool flushing_ = false;
  std::uint16_t close_code_replacement_ = 0;  // 0: none asked for
  std::array<unsigned char, 4> rewritten_close_{};
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
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::move(handler));
  });
}

}  // namespace wsexec
