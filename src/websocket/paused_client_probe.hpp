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
//
// The session grants access (friend class PausedClientProbe) to its `ws_`,
// `client_` (ClientState), `reads_paused_`, `paused_probe_` (this object)
// and `client_read_ended(error_code)`.
#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <utility>

#include "core/limits.hpp"

namespace wsexec {

class PausedClientProbe {
 public:
  // Called when `session`'s reads pause: pings its client at the waits
  // above for as long as they stay paused; a call while the timer already
  // runs changes nothing. The timer's handler holds the session weakly.
  template <typename Session>
  static void start(const std::shared_ptr<Session>& session) {
    PausedClientProbe& probe = session->paused_probe_;
    if (probe.armed_) return;
    if (!probe.timer_)
      probe.timer_ = std::make_unique<boost::asio::steady_timer>(session->ws_.get_executor());
    probe.armed_ = true;
    probe.timer_->expires_after(probe.wait_);
    probe.timer_->async_wait(
        [weak = std::weak_ptr<Session>(session)](boost::system::error_code ec) {
          const auto self = weak.lock();
          if (ec || !self) return;
          PausedClientProbe& probe = self->paused_probe_;
          probe.armed_ = false;
          if (!self->reads_paused_ || !self->client_.writable()) {
            probe.wait_ = limits::kPausedClientCheck;  // the next pause starts afresh
            return;
          }
          send_ping(self);
          probe.wait_ = std::min(probe.wait_ * 2, limits::kPausedClientCheckMax);
          start(self);
        });
  }

 private:
  // One ping at a time (Beast allows no more); its write holds the session
  // until it is done, as any write of ours does, and its failure ends the
  // client's side: the socket gone some other way (Beast's --pingms
  // timeout closes it, which ends the paused socket's watch without a
  // word) means the client is gone.
  template <typename Session>
  static void send_ping(const std::shared_ptr<Session>& self) {
    if (std::exchange(self->paused_probe_.ping_in_flight_, true)) return;
    self->ws_.async_ping({}, [self](boost::system::error_code ec) {
      self->paused_probe_.ping_in_flight_ = false;
      if (ec && self->reads_paused_ && self->client_.open) self->client_read_ended(ec);
    });
  }

  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::milliseconds wait_ = limits::kPausedClientCheck;
  bool armed_ = false;
  bool ping_in_flight_ = false;
};

}  // namespace wsexec
