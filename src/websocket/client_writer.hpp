#pragma once
// Everything a WebSocket session writes to its client: the child's output
// as messages (lines corked into as few writes as their size allows), and
// the close frame. The child's stdout, its stderr with --passstderr and a
// close all write to the one socket, so a gate lets one at a time through.
//
// Once the client is gone (its read ended, a write failed, or the close
// was sent), output is drained and dropped, so the child never blocks on a
// full pipe.
//
// Includes Beast's WebSocket: include only in src/websocket.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_cat.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/limits.hpp"
#include "core/tagged_output.hpp"
#include "server/async_event.hpp"
#include "server/metrics.hpp"
#include "websocket/corkable_stream.hpp"

namespace wsexec {

// The client's side of a session, as the session and its writer see it.
struct ClientState {
  bool open = true;         // false once its read ended or a write to it failed
  bool close_sent = false;  // our close frame went out: nothing may follow it
  // The client's close frame was read: Beast answers it, and nothing of
  // ours may follow that answer (RFC 6455, 5.5.1). Beast's own writes
  // refuse by then; frames written past Beast (try_send_encoded_now,
  // try_send_frame_now) are refused here.
  bool close_received = false;
  bool writable() const { return open && !close_sent && !close_received; }
};

template <typename Stream>
class ClientWriter {
 public:
  using WebSocket = boost::beast::websocket::stream<CorkableStream<Stream>>;
  using error_code = boost::system::error_code;

  // `tag_streams`: --passstderr, every line goes out as a tagged JSON object.
  ClientWriter(WebSocket& ws, ClientState& client, bool tag_streams)
      : ws_(ws), client_(client), tag_streams_(tag_streams) {}

  // Sends each line `next_line()` yields (until nullopt) as one text
  // message, corked: they leave in as few writes as their size allows.
  // Every line is taken, sent or not. A failed write marks the client
  // gone and is returned.
  template <typename NextLine>
  boost::asio::awaitable<error_code> send_lines(OutputStream stream, NextLine next_line) {
    std::optional<std::string_view> line = next_line();
    if (!line) co_return error_code();
    if (!client_.writable()) {
      while (next_line()) {
      }
      co_return error_code();
    }
    co_await gate_.acquire();
    error_code ec;
    for (; line; line = next_line()) {
      if (ec || !client_.writable()) continue;  // drained and dropped
      if (line->size() >= limits::kCorkedBytesLimit) {
        ec = co_await flush_locked();  // a long line is sent from where it is, not copied
      } else {
        ws_.next_layer().cork();
      }
      if (!ec) ec = co_await send_line_locked(stream, *line);
      if (!ec && ws_.next_layer().held_bytes() >= limits::kCorkedBytesLimit) {
        ec = co_await flush_locked();
      }
    }
    const error_code flushed = co_await flush_locked();  // uncorks, whatever happened
    gate_.release();
    co_return ec ? ec : flushed;
  }

  // Sends one binary message, uncorked: a chunk is already one write's worth.
  boost::asio::awaitable<error_code> send_binary(std::string_view payload) {
    if (!client_.writable()) co_return error_code();
    co_await gate_.acquire();
    const error_code ec = co_await send_locked(payload, /*text=*/false);
    gate_.release();
    co_return ec;
  }

  // Sends frames another part of the server encoded (a shared program's
  // output, encoded once for all its clients: shared/shared_frames), each
  // string `next_frames()` yields until nullopt, as the same bytes Beast
  // would have written. They go through the corked layer and out in as few
  // writes as their size allows; while the gate is held no message of ours
  // is being written, and the cork makes any pong or close reply Beast
  // writes meanwhile wait for, or land between, whole frames. Every string
  // is taken, sent or not. A failed write marks the client gone and is
  // returned.
  template <typename NextFrames>
  boost::asio::awaitable<error_code> send_encoded(NextFrames next_frames) {
    std::optional<std::string_view> frames = next_frames();
    if (!frames) co_return error_code();
    if (!client_.writable()) {
      while (next_frames()) {
      }
      co_return error_code();
    }
    co_await gate_.acquire();
    error_code ec;
    for (; frames; frames = next_frames()) {
      if (ec || !client_.writable()) continue;  // drained and dropped
      ws_.next_layer().cork();
      co_await boost::asio::async_write(
          ws_.next_layer(), boost::asio::buffer(frames->data(), frames->size()),
          boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (!ec && ws_.next_layer().held_bytes() >= limits::kCorkedBytesLimit) {
        ec = co_await flush_locked();
      }
    }
    const error_code flushed = co_await flush_locked();  // uncorks, whatever happened
    gate_.release();
    if (ec) client_.open = false;
    co_return ec ? ec : flushed;
  }

  // Writes frames already encoded (as send_encoded does) at once, without
  // a coroutine: the buffers go to the corked layer in one call, which
  // writes them whole and in their turn (after a pong Beast may be
  // writing). Returns false, doing nothing, when another send or the close
  // holds the gate; the caller then goes the coroutine's way. `done` gets
  // void(error_code); a failed write marks the client gone. The buffers'
  // memory must outlive the write (`done` may own it).
  template <typename ConstBufferSequence, typename Done>
  bool try_send_encoded_now(const ConstBufferSequence& buffers, Done done) {
    if (!client_.writable() || !gate_.try_acquire()) return false;
    ws_.next_layer().async_write_some(
        buffers, [this, done = std::move(done)](error_code ec, std::size_t) mutable {
          gate_.release();
          if (ec) client_.open = false;
          done(ec);
        });
    return true;
  }

  // Sends one binary message as a single write of its frame: `header`
  // (ServerFrameHeader for payload's size) and the payload from where it
  // is, past Beast's write operation and without a coroutine. As
  // try_send_encoded_now: false, doing nothing, when the gate is held; both
  // buffers must outlive the write.
  //
  // (Not a std::array of the two: Asio's write loop keeps its first,
  // consumed element as an empty buffer, and Beast's ssl_stream, given a
  // sequence that starts empty, writes nothing and reports 0 bytes, which
  // ends the loop with the payload unsent. buffers_cat skips it.)
  template <typename Done>
  bool try_send_frame_now(boost::asio::const_buffer header, std::string_view payload, Done done) {
    const auto buffers =
        boost::beast::buffers_cat(header, boost::asio::buffer(payload.data(), payload.size()));
    return try_send_encoded_now(
        buffers, [size = payload.size(), done = std::move(done)](error_code ec) mutable {
          if (!ec) metrics::message_to_client(size);
          done(ec);
        });
  }

  // Sends our close frame, once; nothing is written after it. A close_code
  // converts to a close_reason without a reason text.
  boost::asio::awaitable<void> close(boost::beast::websocket::close_reason reason) {
    if (!client_.writable()) co_return;
    co_await gate_.acquire();
    if (client_.writable()) {
      client_.close_sent = true;
      error_code ignored;  // a client that is already gone needs no close frame
      co_await ws_.async_close(reason,
                               boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
    gate_.release();
  }

 private:
  boost::asio::awaitable<error_code> send_line_locked(OutputStream stream, std::string_view line) {
    if (!tag_streams_) co_return co_await send_locked(line, /*text=*/true);
    tagged_line_.clear();
    append_tagged_line(stream, line, tagged_line_);
    co_return co_await send_locked(tagged_line_, /*text=*/true);
  }

  // The caller holds the gate.
  boost::asio::awaitable<error_code> send_locked(std::string_view payload, bool text) {
    if (!client_.writable()) co_return error_code();
    error_code ec;
    ws_.text(text);
    co_await ws_.async_write(boost::asio::buffer(payload.data(), payload.size()),
                             boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) client_.open = false;
    if (!ec) metrics::message_to_client(payload.size());
    co_return ec;
  }

  // Uncorks: sends what the corked writes held. The caller holds the gate.
  boost::asio::awaitable<error_code> flush_locked() {
    error_code ec;
    co_await ws_.next_layer().async_flush(
        boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (ec) client_.open = false;
    co_return ec;
  }

  WebSocket& ws_;
  ClientState& client_;
  AsyncGate gate_;
  std::string tagged_line_;  // a --passstderr JSON message being sent
  bool tag_streams_;
};

}  // namespace wsexec
