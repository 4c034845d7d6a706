#pragma once
// A client whose reads are paused (its program's stdin is full) and that
// leaves without a reset goes unseen. Its FIN only makes the socket
// readable, and nothing can be read past what it sent before; and when its
// own send buffer was still full as it closed, the FIN never even leaves
// its machine (it waits behind data we do not take). A program that never
// reads its stdin (`tail -f`) and prints nothing would then keep its
// session, its pipes and a --maxforks slot until the server stopped; a
// hostile client could hold every slot that way, for free.
//
// So while reads are paused the client is probed with a ping, first after
// limits::kPausedClientCheck, then at twice the wait each time up to
// limits::kPausedClientCheckMax (a client paused for long is pinged
// rarely; its pongs go the way that is already full). A client that is
// still there takes it (its pong waits in the socket with the rest); a
// socket that has been closed answers data with a reset, which the
// session's watch of a paused socket ends the session on, as the failed
// ping does. The FIN alone is not taken for an end: a client that has sent
// all it had and half-closed is still reading.
#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "core/limits.hpp"

namespace wsexec {

class PausedClientProbe {
 public:
  // Calls `send_probe()` at the waits above while `still_paused()`; a call
  // while the timer already runs changes nothing. Both must be safe to call
  // after their session is gone (capture it weakly). The timer ends with
  // this object; its handler touches `this` only when not aborted, and
  // runs on the session's one thread.
  template <typename Executor, typename StillPaused, typename SendProbe>
  void start(const Executor& executor, StillPaused still_paused, SendProbe send_probe) {
    if (armed_) return;
    if (!timer_) timer_ = std::make_unique<boost::asio::steady_timer>(executor);
    armed_ = true;
    timer_->expires_after(wait_);
    timer_->async_wait([this, executor, still_paused = std::move(still_paused),
                        send_probe = std::move(send_probe)](boost::system::error_code ec) mutable {
      if (ec) return;  // aborted: `this` may be gone
      armed_ = false;
      if (!still_paused()) {
        wait_ = limits::kPausedClientCheck;  // the next pause starts afresh
        return;
      }
      send_probe();
      wait_ = std::min(wait_ * 2, limits::kPausedClientCheckMax);
      start(executor, std::move(still_paused), std::move(send_probe));
    });
  }

 private:
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds wait_ = limits::kPausedClientCheck;
  bool armed_ = false;
};

}  // namespace wsexec
