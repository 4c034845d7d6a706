#pragma once
// The events of one SSE session, numbered, from the moment they are made
// until no client can ask for them again. Pure bookkeeping (the I/O side
// locks it and moves the text):
//
// - every event gets the next id (the session event is 0);
// - take_unsent() hands the attached stream what it has not had yet;
// - sent events are kept while they fit in `retain_bytes` (--resumebuffer),
//   oldest dropped first, so a client whose connection broke can resume
//   from its Last-Event-ID (rewind_to);
// - unsent events are never dropped: the session asks unsent_bytes() and
//   ends (detached) or pauses its program (attached) instead.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

namespace wsexec {

class SseEventLog {
 public:
  explicit SseEventLog(std::size_t retain_bytes) : retain_bytes_(retain_bytes) {}

  std::uint64_t next_id() const { return next_id_; }
  // Stores `event`, made with next_id(), under that id.
  void append(std::string event);

  // Every event not yet taken, in order, as one string; they count as sent.
  std::string take_unsent();
  std::size_t unsent_bytes() const { return unsent_bytes_; }

  // A client that saw every event up to `last_seen` comes back: the next
  // take_unsent() starts after it. False (nothing changed) when an event
  // after it is no longer held, or `last_seen` was never sent.
  bool rewind_to(std::uint64_t last_seen);

  std::size_t held_bytes() const { return held_bytes_; }

 private:
  struct Event {
    std::uint64_t id;
    std::string text;
  };
  void drop_sent_beyond_budget();

  std::deque<Event> events_;
  std::size_t retain_bytes_;
  std::size_t held_bytes_ = 0;
  std::size_t unsent_bytes_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint64_t first_unsent_ = 0;  // the id the next take_unsent() starts at
};

}  // namespace wsexec
