#include "process/stdin_feeder.hpp"

#include <poll.h>
#include <sys/ioctl.h>

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
  // Counted as each piece goes, not once the whole write is done: a child
  // reading slowly takes a large write a piece at a time, and the ladder
  // must see that it is reading (taken_while_closing).
  // (Pieces of at most 64 KiB, as Asio's transfer_all hands them on.)
  const std::uint64_t before = written_;
  asio::async_write(
      pipe_, asio::buffer(writing_),
      [this, before](const error_code& ec, std::size_t so_far) -> std::size_t {
        written_ = before + so_far;
        return ec ? 0 : std::size_t{64 * 1024};
      },
      // (Asio asks the condition before each piece, not after the last.)
      [this, before, owner = std::move(owner)](error_code ec, std::size_t written) mutable {
        written_ = before + written;
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

// Everything queued is in the pipe: the EOF goes once the child has read
// it too. Closing our end at once would be the same to a child that reads
// on, but the ladder's next step (SIGINT) would then come its 100 ms later
// whatever the child still had to read; while the pipe is ours the ladder
// can see it being read (taken_while_closing) and wait.
void StdinFeeder::close_if_drained() {
  if (!closing_ || closed_ || in_flight_ || scheduled_ || (!queued_.empty() && !broken_)) return;
  if (!broken_ && kind_ == StdinKind::pipe && unread_in_pipe() > 0) {
    if (!drain_timer_) {
      unread_at_last_check_ = unread_in_pipe();
      drain_timer_ = std::make_unique<asio::steady_timer>(pipe_.get_executor());
      check_pipe_drained();
    }
    return;
  }
  close_now();
}

// The timer belongs to us and we to the owner: its handler touches us only
// while the owner lives (an expiry already queued when it went is not an
// abort).
void StdinFeeder::check_pipe_drained() {
  drain_timer_->expires_after(limits::kStdinDrainCheck);
  drain_timer_->async_wait([this, weak = owner_](error_code ec) {
    const auto owner = weak.lock();
    if (ec || !owner || closed_) return;
    // No reader left (the child exited, its stdin with it): nothing more
    // will be taken. POLLERR on a pipe's write end says so.
    pollfd state{pipe_.native_handle(), POLLOUT, 0};
    if (::poll(&state, 1, 0) > 0 && (state.revents & POLLERR) != 0) broken_ = true;
    const std::size_t unread = unread_in_pipe();
    unread_for_ = unread == unread_at_last_check_ ? unread_for_ + limits::kStdinDrainCheck
                                                  : std::chrono::milliseconds{0};
    unread_at_last_check_ = unread;
    // Not reading (a child that never reads its stdin, or a grandchild
    // holding it): the EOF goes now, and the checks stop.
    if (unread_for_ >= limits::kLadderAfterCloseStdin) return close_now();
    if (broken_ || unread == 0) return close_if_drained();
    check_pipe_drained();
  });
}

// Bytes in the pipe that the child has not read (FIONREAD works on either
// end of a pipe); 0 when that cannot be told (the pipe already closed).
std::size_t StdinFeeder::unread_in_pipe() const {
  int bytes = 0;
  if (!pipe_.is_open() || ::ioctl(pipe_.native_handle(), FIONREAD, &bytes) < 0 || bytes < 0)
    return 0;
  return static_cast<std::size_t>(bytes);
}

std::optional<std::uint64_t> StdinFeeder::taken_while_closing() const {
  if (!closing_ || closed_ || broken_) return std::nullopt;
  // A write's first piece may be in the pipe before its completion has
  // counted it: never less than nothing.
  const std::size_t unread = unread_in_pipe();
  return written_ > unread ? written_ - unread : 0;
}

void StdinFeeder::close_now() {
  closed_ = true;
  error_code ignored;  // a pipe already broken is fine
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
