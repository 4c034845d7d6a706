#pragma once
// Messages from many clients on their way to one shared program's stdin,
// taken in turns: one whole message from each client that has any, round
// and round, so a client that sends a flood cannot make a quiet one wait
// behind all of it, and no message is ever split or interleaved with
// another. Pure: the caller writes what it takes and says how much each
// client had taken (for that client's back-pressure).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace wsexec {

class FairInput {
 public:
  using SourceId = std::uint64_t;
  // Bytes of one source's messages that one take_turns() took.
  using Taken = std::vector<std::pair<SourceId, std::size_t>>;

  // Queues one message (already framed: with its "\n" in line mode).
  void push(SourceId source, std::string message);

  bool empty() const { return turn_order_.empty(); }
  std::size_t queued_bytes() const { return queued_bytes_; }

  // Appends whole messages to `out`, one per source per round in turn
  // order, until at least `budget` bytes are taken or nothing is left (at
  // least one message, however long). Returns the bytes taken per source.
  Taken take_turns(std::size_t budget, std::string& out);

  // Forgets everything queued (the program is gone); returns it per source.
  Taken clear();

 private:
  std::deque<SourceId> turn_order_;  // sources with messages, next turn first
  std::unordered_map<SourceId, std::deque<std::string>> queues_;
  std::size_t queued_bytes_ = 0;
};

}  // namespace wsexec
