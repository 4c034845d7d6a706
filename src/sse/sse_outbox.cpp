#include "sse/sse_outbox.hpp"

#include "core/limits.hpp"
#include "core/sse_protocol.hpp"

namespace wsexec {

void SseOutbox::publish_session(std::string_view token, std::string_view post_url,
                                unsigned resume_ms) {
  const std::lock_guard lock(mutex_);
  publish(SessionEvent::Kind::session, session_data(token, post_url, resume_ms));
}

void SseOutbox::publish_message(std::string_view payload, bool binary) {
  const std::lock_guard lock(mutex_);
  if (closed_) return;
  publish(binary ? SessionEvent::Kind::binary : SessionEvent::Kind::text, std::string(payload));
}

void SseOutbox::publish_close(unsigned code, std::string_view reason) {
  const std::lock_guard lock(mutex_);
  if (closed_) return;
  publish(SessionEvent::Kind::close, std::string(reason), code);
  closed_ = true;
}

void SseOutbox::publish(SessionEvent::Kind kind, std::string text, unsigned code) {
  log_.append(kind, std::move(text), code);
  wake_stream();
}

void SseOutbox::wake_stream() {
  if (const auto stream = stream_.lock()) stream->wake();
}

bool SseOutbox::has_room_or_notify() {
  const std::lock_guard lock(mutex_);
  if (stream_.expired() || log_.unsent_bytes() < limits::kSseUnsentHighWater) return true;
  room_wanted_ = true;
  return false;
}

std::size_t SseOutbox::unsent_bytes() const {
  const std::lock_guard lock(mutex_);
  return log_.unsent_bytes();
}

bool SseOutbox::attached() const {
  const std::lock_guard lock(mutex_);
  return !stream_.expired();
}

SseOutbox::Attach SseOutbox::attach(std::shared_ptr<SseStreamWaker> stream,
                                    std::optional<std::uint64_t> last_seen) {
  const std::lock_guard lock(mutex_);
  if (last_seen && !log_.rewind_to(*last_seen)) return Attach::not_held;
  wake_stream();  // a replaced stream finds out at its next take()
  stream_ = std::move(stream);
  wake_stream();
  return Attach::attached;
}

SseOutbox::Batch SseOutbox::take(const SseStreamWaker& stream) {
  EventBatch events = take_events(stream);
  Batch batch;
  batch.replaced = events.replaced;
  batch.last = events.last;
  // Written here, outside the lock: the session publishes meanwhile.
  for (const SessionEvent& event : events.events) batch.bytes += sse_event_text(event);
  return batch;
}

SseOutbox::EventBatch SseOutbox::take_events(const SseStreamWaker& stream) {
  EventBatch batch;
  bool room = false;
  {
    const std::lock_guard lock(mutex_);
    if (stream_.lock().get() != &stream) {
      batch.replaced = true;
      return batch;
    }
    batch.events = log_.take_unsent();
    batch.last = closed_;
    room = std::exchange(room_wanted_, false);
  }
  if (room) on_room_();
  return batch;
}

bool SseOutbox::detach(const SseStreamWaker& stream) {
  bool room = false;
  {
    const std::lock_guard lock(mutex_);
    if (stream_.lock().get() != &stream) return false;
    stream_.reset();
    room = std::exchange(room_wanted_, false);  // detached, the session limits the buffer itself
  }
  if (room) on_room_();
  return true;
}

}  // namespace wsexec
