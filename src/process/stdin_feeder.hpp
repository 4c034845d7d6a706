#pragma once
// Writes the client's messages to the child's stdin, several at a time.
//
// A pipelining client sends many small messages in one TCP segment; Beast
// hands them to us one by one. Writing each on its own wakes the child once
// per message, and on a busy machine those wake-ups are what costs. The
// feeder queues what arrives and writes it when the client side has gone
// quiet for one turn of the event loop (see schedule_write), and never
// while a write is still in flight: one write then carries every message
// that arrived meanwhile.
//
// Bounded: past limits::kStdinQueueHighWater queued bytes the caller stops reading the
// client until when_room() calls back, which is the back-pressure on the
// client. Nothing queued is lost: close_after_drain() gives the child its EOF
// only once it is all in the pipe and the child has read it (the pipe is
// empty). Only a broken pipe (the child closed its stdin, or exited) drops
// what is queued, and every later message.
//
// Runs on one worker's thread; every member is called from it.
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/limits.hpp"
#include "process/pipe_capacity.hpp"

namespace wsexec {

// What the feeder writes to. Only a pipe can say how much of it the child
// has not read yet (FIONREAD on a terminal's master counts the other way:
// the child's output), so only a pipe is waited on at the close.
enum class StdinKind { pipe, terminal };

class StdinFeeder {
 public:
  // `owner` holds the feeder and `pipe`: it is kept alive while a write is
  // scheduled or in flight.
  StdinFeeder(boost::asio::posix::stream_descriptor& pipe, std::weak_ptr<void> owner,
              StdinKind kind)
      : pipe_(pipe), owner_(std::move(owner)), kind_(kind) {}

  // Queues `bytes` (plus "\n" when `newline`), to be written soon.
  void queue(std::string_view bytes, bool newline);

  bool broken() const { return broken_; }

  // EOF for the child once everything queued is in the pipe and the child
  // has read it (at once when nothing is left); later messages are dropped.
  // The gentle first step of the termination ladder: a client's last words
  // still arrive. The pipe is looked at every limits::kStdinDrainCheck
  // until it is empty: the child's read of its last bytes sees the EOF
  // that much later at most. A child that takes nothing for
  // limits::kLadderAfterCloseStdin gets its EOF then, read or not (the
  // ladder moves on too). A terminal closes once the queue is written.
  void close_after_drain();
  // After close_after_drain(), until the pipe is closed: how many bytes the
  // child has taken so far (written to the pipe, less what it still holds),
  // for the ladder to see whether the child is still reading; nullopt once
  // closed (or broken, or before close_after_drain()).
  std::optional<std::uint64_t> taken_while_closing() const;
  bool has_room() const { return broken_ || waiting() < limits::kStdinQueueHighWater; }

  // Calls `then()` once fewer than limits::kStdinQueueHighWater bytes wait (or the pipe
  // broke). One caller waits at a time (the client reader).
  void when_room(std::function<void()> then);

 private:
  void schedule_write(std::shared_ptr<void> owner);
  void write_if_quiet(std::uint64_t queued_at_schedule, std::shared_ptr<void> owner);
  void write_queued(std::shared_ptr<void> owner);
  void on_written(boost::system::error_code ec, std::shared_ptr<void> owner);
  std::size_t waiting() const { return queued_.size() + writing_.size(); }
  void wake_waiter();
  void close_if_drained();
  void check_pipe_drained();
  void close_now();
  std::size_t unread_in_pipe() const;

  boost::asio::posix::stream_descriptor& pipe_;
  std::weak_ptr<void> owner_;
  std::string queued_;             // waiting for the next write
  std::string writing_;            // the write in flight
  std::uint64_t queue_count_ = 0;  // queue() calls so far: tells "quiet" from "still arriving"
  bool scheduled_ = false;         // a write_if_quiet is posted
  bool in_flight_ = false;
  bool broken_ = false;
  bool closing_ = false;  // close_after_drain() was called
  bool closed_ = false;   // ... and the pipe is closed
  StdinKind kind_;
  std::size_t unread_at_last_check_ = 0;     // while the drain is watched
  std::chrono::milliseconds unread_for_{0};  // ... how long it has not moved
  std::uint64_t written_ = 0;                // bytes written to the pipe so far
  // While the last bytes wait in the pipe (close_after_drain).
  std::unique_ptr<boost::asio::steady_timer> drain_timer_;
  PipeGrowth pipe_growth_;        // for a bulk stream (limits::kBulkPipeBytes)
  std::function<void()> waiter_;  // the one caller waiting for room
};

}  // namespace wsexec
