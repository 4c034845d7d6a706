#include "core/sse_event_log.hpp"

namespace wsexec {

void SseEventLog::append(SessionEvent::Kind kind, std::string text, unsigned code) {
  held_bytes_ += text.size();
  unsent_bytes_ += text.size();
  events_.push_back(SessionEvent{next_id_++, kind, std::move(text), code});
}

std::vector<SessionEvent> SseEventLog::take_unsent() {
  std::vector<SessionEvent> out;
  for (const SessionEvent& event : events_) {
    if (event.id >= first_unsent_) out.push_back(event);
  }
  first_unsent_ = next_id_;
  unsent_bytes_ = 0;
  drop_sent_beyond_budget();
  return out;
}

bool SseEventLog::rewind_to(std::uint64_t last_seen) {
  if (last_seen >= first_unsent_) return false;  // an id we never sent
  const std::uint64_t wanted = last_seen + 1;
  const std::uint64_t oldest_held = events_.empty() ? next_id_ : events_.front().id;
  if (wanted < oldest_held) return false;  // dropped already
  unsent_bytes_ = 0;
  for (const SessionEvent& event : events_) {
    if (event.id >= wanted) unsent_bytes_ += event.text.size();
  }
  first_unsent_ = wanted;
  return true;
}

void SseEventLog::drop_sent_beyond_budget() {
  while (!events_.empty() && events_.front().id < first_unsent_ && held_bytes_ > retain_bytes_) {
    held_bytes_ -= events_.front().text.size();
    events_.pop_front();
  }
}

}  // namespace wsexec
