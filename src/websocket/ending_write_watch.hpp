#pragma once
// A session that is ending still waits for its writes: the client's close
// frame is answered after what we were sending, and a session whose client
// half-closed (a FIN, no close frame) finishes the write on the socket
// before it goes. A client that then reads nothing keeps that write
// waiting for ever, and with it the session: its program is killed by the
// ladder but stays unreaped, and its pipes, socket and --maxforks slot stay
// taken. Beast's close timeout does not help: it starts only once the
// close frame has the socket, which is behind the stuck write. (A hostile
// client could hold every slot that way.)
//
// So from the session's end on, its writes are watched: every
// limits::kEndingWriteCheck, a write on the socket that has made no
// progress since the last check has stalled for that long, and once it has
// stalled for limits::kEndingWriteStall the socket is closed under it.
// Progress is either a piece of the write taken by the socket
// (CorkableStream::write_progress) or fewer bytes waiting in the socket
// for the client (SIOCOUTQ): a full send buffer turns writable again only
// once a third of it has gone, which a slow reader may take longer than
// the stall to free. Every operation on it
// then fails, and the session ends as for a client that vanished. A
// client that takes a piece in each check is never cut off, however slow.
//
// The watch starts only where a write can stall: one under way or waiting,
// or bytes in the socket that the client has not taken (which a 4-byte
// close reply can be stuck behind). A session whose client reads, as in
// connection churn, has neither when it ends: no timer, one ioctl.
//
// The session grants access (friend class EndingWriteWatch) to its `ws_`
// (a Beast stream over a CorkableStream), `context_` (for the log) and
// `ending_watch_` (this object).
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/limits.hpp"
#include "server/log.hpp"
#include "websocket/websocket_setup.hpp"

namespace wsexec {

// Bytes written to the socket that its peer has not taken yet (sent and
// unacknowledged, or waiting for room in its window); 0 when unknown, and
// for a socket already closed (a session's later ending steps come after
// its socket has gone; no system call to learn that).
template <typename Socket>
std::size_t socket_unsent_bytes(Socket& socket) {
  if (!socket.is_open()) return 0;
  int bytes = 0;
  if (::ioctl(socket.native_handle(), SIOCOUTQ, &bytes) < 0 || bytes < 0) return 0;
  return static_cast<std::size_t>(bytes);
}

class EndingWriteWatch {
 public:
  // Called at each step of `session`'s end; starts the watch the first
  // time a write can stall. The timer's handler holds the session weakly.
  template <typename Session>
  static void start(const std::shared_ptr<Session>& session) {
    EndingWriteWatch& watch = session->ending_watch_;
    if (watch.state_) return;
    auto& stream = session->ws_.next_layer();
    if (stream.idle() &&
        socket_unsent_bytes(socket_of(boost::beast::get_lowest_layer(stream))) == 0)
      return;
    watch.state_ = std::make_unique<State>(session->ws_.get_executor(), stream.write_progress());
    watch.state_->last_unsent = unsent_bytes(*session);
    arm(session);
  }

 private:
  template <typename Session>
  static std::size_t unsent_bytes(Session& session) {
    return socket_unsent_bytes(socket_of(boost::beast::get_lowest_layer(session.ws_)));
  }

  template <typename Session>
  static void arm(const std::shared_ptr<Session>& session) {
    auto& timer = session->ending_watch_.state_->timer;
    timer.expires_after(limits::kEndingWriteCheck);
    timer.async_wait([weak = std::weak_ptr<Session>(session)](boost::system::error_code ec) {
      const auto self = weak.lock();
      if (ec || !self) return;
      if (self->ending_watch_.state_->check(self->ws_.next_layer(), unsent_bytes(*self))) {
        return arm(self);
      }
      log::write(LogLevel::info, "session", self->context_,
                 "client took none of our output for " +
                     std::to_string(limits::kEndingWriteStall.count()) +
                     " ms while the session was ending: connection closed");
      boost::system::error_code ignored;  // every wait on the socket ends, as intended
      socket_of(boost::beast::get_lowest_layer(self->ws_)).close(ignored);
    });
  }

  // Held apart: every session has a watch, few ever start it (each of
  // thousands of a shared program's clients keeps one null pointer).
  struct State {
    template <typename Executor>
    State(const Executor& executor, std::uint32_t progress)
        : timer(executor), last_progress(progress) {}

    // One check; false once the write has stalled for kEndingWriteStall.
    template <typename Corkable>
    bool check(const Corkable& stream, std::size_t unsent) {
      const std::uint32_t progress = stream.write_progress();
      if (!stream.writing() || progress != last_progress || unsent < last_unsent) {
        stalled_for = {};
      } else {
        stalled_for += limits::kEndingWriteCheck;
      }
      last_progress = progress;
      last_unsent = unsent;
      return stalled_for < limits::kEndingWriteStall;
    }

    boost::asio::steady_timer timer;
    std::chrono::milliseconds stalled_for{0};
    std::uint32_t last_progress;
    std::size_t last_unsent = 0;
  };

  std::unique_ptr<State> state_;  // once started
};

}  // namespace wsexec
