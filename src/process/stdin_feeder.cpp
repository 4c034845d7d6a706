#include "process/stdin_feeder.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "core/limits.hpp"

namespace wsexec {

namespace asio = boost::asio;
using boost::system::error_code;

void StdinFeeder::queue(std::string_view bytes, bool newline) {
  if (broken_ || closing_) return;
  queued_.append(bytes);
  if (newline) queued_.push_back('\n');
  ++queue_count_;
  if (in_flight_) return;  // on_written() sends it with whatever else arrives
  if (queued_.size() >= limits::kStdinQueueHighWater) {
    write_queued(owner_.lock());
  } else if (!scheduled_) {
    schedule_write(owner_.lock());
  }
}

// "Quiet" is tested by posting to the end of the event loop's queue: when
// Beast has more complete messages buffered, the reader's next completion
// is already queued and runs first, and queue() moves the count. The first
// check is always "not yet", because the reader only asks for its next
// message after this was posted.
void StdinFeeder::schedule_write(std::shared_ptr<void> owner) {
  scheduled_ = true;
  asio::post(pipe_.get_executor(),
             [this, seen = queue_count_ - 1, owner = std::move(owner)]() mutable {
               write_if_quiet(seen, std::move(owner));
             });
}

void StdinFeeder::write_if_quiet(std::uint64_t queued_at_schedule, std::shared_ptr<void> owner) {
  if (queue_count_ != queued_at_schedule && !in_flight_ && !broken_ &&
      queued_.size() < limits::kStdinQueueHighWater) {
    asio::post(pipe_.get_executor(),
               [this, seen = queue_count_, owner = std::move(owner)]() mutable {
                 write_if_quiet(seen, std::move(owner));
               });
    return;
  }
  scheduled_ = false;
  if (!in_flight_ && !broken_ && !queued_.empty()) write_queued(std::move(owner));
  close_if_drained();
}

void StdinFeeder::write_queued(std::shared_ptr<void> owner) {
  in_flight_ = true;
  writing_.swap(queued_);
  if (writing_.size() >= limits::kStdinQueueHighWater && !pipe_growth_.settled()) {
    // As much as a default pipe holds, or more: a large message, or a bulk
    // stream (a batch is handed over once it reaches this bound).
    pipe_growth_ = pipe_growth_budget().grow(pipe_.native_handle(), limits::kBulkPipeBytes);
  }
  asio::async_write(pipe_, asio::buffer(writing_),
                    [this, owner = std::move(owner)](error_code ec, std::size_t) mutable {
                      on_written(ec, std::move(owner));
                    });
}

void StdinFeeder::on_written(error_code ec, std::shared_ptr<void> owner) {
  in_flight_ = false;
  writing_.clear();
  if (ec) {
    // The child closed its stdin or is being ended: what is queued now, and
    // every later message, is dropped; its stdout decides when we end.
    broken_ = true;
    queued_ = std::string();
  }
  if (!queued_.empty()) {
    // Not at once: what is arriving right now joins this batch.
    if (!scheduled_) schedule_write(std::move(owner));
  } else {
    // Give the memory back, so an idle connection holds no buffer.
    queued_ = std::string();
    writing_ = std::string();
  }
  close_if_drained();
  wake_waiter();
}

void StdinFeeder::close_after_drain() {
  closing_ = true;
  close_if_drained();
}

void StdinFeeder::close_if_drained() {
  if (!closing_ || in_flight_ || scheduled_ || (!queued_.empty() && !broken_)) return;
  error_code ignored;  // closing twice, or a pipe already broken, is fine
  pipe_.close(ignored);
}

void StdinFeeder::when_room(std::function<void()> then) {
  waiter_ = std::move(then);
  wake_waiter();
}

// Runs the waiter from the event loop, never from inside the caller's
// call, so a reader that is called back cannot recurse without bound.
void StdinFeeder::wake_waiter() {
  if (waiter_ && has_room()) {
    asio::post(pipe_.get_executor(), std::exchange(waiter_, nullptr));
  }
}

}  // namespace wsexec
