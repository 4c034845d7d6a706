#include "sse/sse_outbox.hpp"

#include "core/limits.hpp"
#include "core/sse_protocol.hpp"

namespace wsexec {

void SseOutbox::publish_session(std::string_view token, std::string_view post_url,
                                unsigned resume_ms) {
  const std::lock_guard lock(mutex_);
  publish(sse_session_event(token, post_url, resume_ms));
}

void SseOutbox::publish_message(std::string_view payload, bool binary) {
  const std::lock_guard lock(mutex_);
  if (closed_) return;
  publish(sse_message_event(log_.next_id(), payload, binary));
}

void SseOutbox::publish_close(unsigned code, std::string_view reason) {
  const std::lock_guard lock(mutex_);
  if (closed_) return;
  publish(sse_close_event(log_.next_id(), code, reason));
  closed_ = true;
}

void SseOutbox::publish(std::string event) {
  log_.append(std::move(event));
  wake_stream();
}

void SseOutbox::wake_stream() {
  if (stream_) stream_->wake();
}

bool SseOutbox::has_room_or_notify() {
  const std::lock_guard lock(mutex_);
  if (!stream_ || log_.unsent_bytes() < limits::kSseUnsentHighWater) return true;
  room_wanted_ = true;
  return false;
}

std::size_t SseOutbox::unsent_bytes() const {
  const std::lock_guard lock(mutex_);
  return log_.unsent_bytes();
}

bool SseOutbox::attached() const {
  const std::lock_guard lock(mutex_);
  return stream_ != nullptr;
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
  Batch batch;
  bool room = false;
  {
    const std::lock_guard lock(mutex_);
    if (stream_.get() != &stream) {
      batch.replaced = true;
      return batch;
    }
    batch.bytes = log_.take_unsent();
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
    if (stream_.get() != &stream) return false;
    stream_.reset();
    room = std::exchange(room_wanted_, false);  // detached, the session limits the buffer itself
  }
  if (room) on_room_();
  return true;
}

}  // namespace wsexec
