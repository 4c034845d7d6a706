#pragma once
// The events of one resumable session, numbered, from the moment they are
// made until no client can ask for them again. Pure bookkeeping (the I/O
// side locks it and moves the events):
//
// - every event gets the next id (the session event is 0);
// - take_unsent() hands the attached stream what it has not had yet;
// - sent events are kept while they fit in `retain_bytes` (--resumebuffer),
//   oldest dropped first, so a client whose connection broke can resume
//   from its Last-Event-ID (rewind_to);
// - unsent events are never dropped: the session asks unsent_bytes() and
//   ends (detached) or pauses its program (attached) instead.
//
// Events are kept as what the program said, not as one transport's text:
// an event stream (SSE) and a WebSocket (subprotocol wsexec.v1) each write
// them in their own form, and a session may be resumed over either.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace wsexec {

struct SessionEvent {
  enum class Kind : std::uint8_t {
    session,  // text: the session's JSON (token, POST URL, resume window)
    text,     // text: one message of the program
    binary,   // text: the bytes of one binary message
    close,    // text: the close reason; code: the close code
  };
  std::uint64_t id = 0;
  Kind kind = Kind::text;
  std::string text;
  unsigned code = 0;
};

class SseEventLog {
 public:
  explicit SseEventLog(std::size_t retain_bytes) : retain_bytes_(retain_bytes) {}

  std::uint64_t next_id() const { return next_id_; }
  // Stores an event under next_id(). Its size, for the budgets, is its text's.
  void append(SessionEvent::Kind kind, std::string text, unsigned code = 0);

  // Every event not yet taken, in order (copies: the sent ones stay held
  // for a resume); they count as sent.
  std::vector<SessionEvent> take_unsent();
  std::size_t unsent_bytes() const { return unsent_bytes_; }

  // A client that saw every event up to `last_seen` comes back: the next
  // take_unsent() starts after it. False (nothing changed) when an event
  // after it is no longer held, or `last_seen` was never sent.
  bool rewind_to(std::uint64_t last_seen);

  std::size_t held_bytes() const { return held_bytes_; }

 private:
  void drop_sent_beyond_budget();

  std::deque<SessionEvent> events_;
  std::size_t retain_bytes_;
  std::size_t held_bytes_ = 0;
  std::size_t unsent_bytes_ = 0;
  std::uint64_t next_id_ = 0;
  std::uint64_t first_unsent_ = 0;  // the id the next take_unsent() starts at
};

}  // namespace wsexec
