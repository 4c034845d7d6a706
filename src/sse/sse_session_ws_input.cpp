// What a WebSocket stream (wsexec.v1) asks of the session beyond what an
// event stream does: input with back-pressure instead of 429, and an end
// the client chose.
#include "sse/sse_session.hpp"

namespace wsexec {

void SseSession::deliver_when_room(std::string message, bool binary,
                                   std::function<void(unsigned)> done) {
  const unsigned status = deliver(message, binary);
  if (status != 429) return done(status);
  // The feeder calls back on this session's executor once it has room (or
  // its pipe broke, which deliver() then answers with 404).
  stdin_feeder_->when_room([weak = weak_from_this(), message = std::move(message), binary,
                            done = std::move(done)]() mutable {
    if (auto self = weak.lock()) {
      self->deliver_when_room(std::move(message), binary, std::move(done));
    } else {
      done(404);
    }
  });
}

void SseSession::client_closed() {
  client_gone("the client closed the WebSocket");
}

}  // namespace wsexec
