#pragma once
// Where a session's events wait for its stream: the one object a session
// (on its worker) and its stream (on the same worker, or another after a
// resume) both touch, so it is locked. The bookkeeping is the pure
// SseEventLog; this adds who is attached, the end, and the back-pressure
// signal back to the session.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sse_event_log.hpp"
#include "sse/sse_stream_waker.hpp"

namespace wsexec {

class SseOutbox {
 public:
  // `on_room` runs (on whatever thread took the events) when the program
  // may be read again; the session posts it to its own executor.
  SseOutbox(std::size_t retain_bytes, std::function<void()> on_room)
      : log_(retain_bytes), on_room_(std::move(on_room)) {}

  // The session's side.
  void publish_session(std::string_view token, std::string_view post_url, unsigned resume_ms);
  void publish_message(std::string_view payload, bool binary);
  // The last event: the stream ends once it has sent it.
  void publish_close(unsigned code, std::string_view reason);
  // False, and on_room later, when an attached stream has this much to
  // send already. Always true while detached (the session limits that).
  bool has_room_or_notify();
  std::size_t unsent_bytes() const;
  bool attached() const;

  // The stream's side.
  enum class Attach { attached, not_held };
  // A fresh stream (nullopt) or a resume after `last_seen`. Replaces any
  // attached stream, which is woken to find itself replaced.
  Attach attach(std::shared_ptr<SseStreamWaker> stream, std::optional<std::uint64_t> last_seen);
  struct Batch {
    std::string bytes;
    bool last = false;      // the close event is in `bytes`: end the response after it
    bool replaced = false;  // another stream took over: end without a word
  };
  Batch take(const SseStreamWaker& stream);
  // The same for a WebSocket stream (ws_resumable.cpp), which writes each
  // event as one message.
  struct EventBatch {
    std::vector<SessionEvent> events;
    bool last = false;      // the close event is the last of `events`
    bool replaced = false;  // another stream took over: end without a word
  };
  EventBatch take_events(const SseStreamWaker& stream);
  // The stream went away; true if it was the attached one (the session
  // must hear of it).
  bool detach(const SseStreamWaker& stream);

 private:
  void publish(SessionEvent::Kind kind, std::string text, unsigned code = 0);  // lock held
  void wake_stream();                                                          // with the lock held

  mutable std::mutex mutex_;
  SseEventLog log_;
  std::function<void()> on_room_;
  // Weak: the stream (its coroutine, on its own worker) owns its waker,
  // whose timer belongs to that worker's loop. Held here strongly, the
  // waker could go last with the session, on the session's worker, after
  // the stream's worker and its timer service were gone: at the server's
  // exit, a heap use after free (seen under ASan in CI).
  std::weak_ptr<SseStreamWaker> stream_;
  bool closed_ = false;       // the close event is published
  bool room_wanted_ = false;  // the session paused its program: tell it when there is room
};

}  // namespace wsexec
