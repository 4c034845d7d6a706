#pragma once
// The executor of a worker's connections: the worker's io_context, except
// that a handler posted from the worker's own thread goes to the worker's
// HandlerBatch (see handler_batch.hpp for why). Everything else is the
// io_context's executor: dispatch runs inline on the worker's thread, a
// post from another thread (the spawner's answer) goes to the io_context's
// queue.
//
// Outstanding work (a tracked copy: Asio and Beast make one for every
// operation and handler) is counted by the worker's HandlerBatch when the
// copy is made on the worker's thread, without an atomic operation, and by
// the io_context otherwise. A copy counted by the batch and destroyed on
// another thread hands its decrement back to the worker in a post: the
// counter is touched by the worker's thread only. That happens: co_spawn
// onto another worker (an SSE POST delivered to its session's worker)
// keeps a tracked copy of the caller's executor in a frame that ends on
// the other worker's thread.
//
// Wrapped in boost::asio::any_io_executor (Worker::executor()), so sockets,
// pipes, timers and coroutines take it without a type of their own. It
// fits any_io_executor's small buffer (two words): no allocation per copy.
//
// Include only where the executor is made (worker.cpp): the property
// machinery is heavy to compile.
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <utility>

#include "server/handler_batch.hpp"

namespace wsexec {

class BatchingExecutor {
 public:
  explicit BatchingExecutor(HandlerBatch& batch) noexcept : batch_(&batch) {}

  BatchingExecutor(const BatchingExecutor& other) noexcept
      : batch_(other.batch_), bits_(other.bits_ & ~kTracked) {
    if (other.tracked()) count_work();
  }
  BatchingExecutor(BatchingExecutor&& other) noexcept : batch_(other.batch_), bits_(other.bits_) {
    other.bits_ &= ~kTracked;  // the work moves with us
  }
  BatchingExecutor& operator=(BatchingExecutor other) noexcept {
    std::swap(batch_, other.batch_);
    std::swap(bits_, other.bits_);
    return *this;
  }
  ~BatchingExecutor() { release_work(); }

  // Where the work was counted is not part of what an executor is.
  friend bool operator==(const BatchingExecutor& a, const BatchingExecutor& b) noexcept {
    return a.batch_ == b.batch_ && a.properties() == b.properties();
  }
  friend bool operator!=(const BatchingExecutor& a, const BatchingExecutor& b) noexcept {
    return !(a == b);
  }

  // On the worker's thread, inside its run(): see runs_on_this_thread.
  bool running_in_this_thread() const noexcept { return inner().running_in_this_thread(); }

  template <typename Function>
  void execute(Function&& f) const {
    namespace execution = boost::asio::execution;
    if ((bits_ & kNever) != 0) {
      if (inner().running_in_this_thread()) {
        batch_->push(std::forward<Function>(f));
      } else {
        boost::asio::require(inner(), execution::blocking.never).execute(std::forward<Function>(f));
      }
      return;
    }
    inner().execute(std::forward<Function>(f));  // inline on the worker's thread
  }

  boost::asio::io_context& query(boost::asio::execution::context_t) const noexcept {
    return batch_->context();
  }
  static constexpr boost::asio::execution::mapping_t query(
      boost::asio::execution::mapping_t) noexcept {
    return boost::asio::execution::mapping.thread;
  }
  constexpr boost::asio::execution::blocking_t query(
      boost::asio::execution::blocking_t) const noexcept {
    return (bits_ & kNever) != 0
               ? boost::asio::execution::blocking_t(boost::asio::execution::blocking.never)
               : boost::asio::execution::blocking_t(boost::asio::execution::blocking.possibly);
  }
  constexpr boost::asio::execution::relationship_t query(
      boost::asio::execution::relationship_t) const noexcept {
    return (bits_ & kContinuation) != 0
               ? boost::asio::execution::relationship_t(
                     boost::asio::execution::relationship.continuation)
               : boost::asio::execution::relationship_t(boost::asio::execution::relationship.fork);
  }
  constexpr boost::asio::execution::outstanding_work_t query(
      boost::asio::execution::outstanding_work_t) const noexcept {
    return tracked() ? boost::asio::execution::outstanding_work_t(
                           boost::asio::execution::outstanding_work.tracked)
                     : boost::asio::execution::outstanding_work_t(
                           boost::asio::execution::outstanding_work.untracked);
  }

  BatchingExecutor require(boost::asio::execution::blocking_t::never_t) const {
    return with(kNever, true);
  }
  BatchingExecutor require(boost::asio::execution::blocking_t::possibly_t) const {
    return with(kNever, false);
  }
  BatchingExecutor require(boost::asio::execution::relationship_t::continuation_t) const {
    return with(kContinuation, true);
  }
  BatchingExecutor require(boost::asio::execution::relationship_t::fork_t) const {
    return with(kContinuation, false);
  }
  BatchingExecutor require(boost::asio::execution::outstanding_work_t::tracked_t) const {
    BatchingExecutor copy(*this);
    if (!copy.tracked()) copy.count_work();
    return copy;
  }
  BatchingExecutor require(boost::asio::execution::outstanding_work_t::untracked_t) const {
    BatchingExecutor copy(*batch_);
    copy.bits_ = bits_ & ~kTracked;
    return copy;
  }

 private:
  static constexpr unsigned kNever = 1;
  static constexpr unsigned kContinuation = 2;
  static constexpr unsigned kTrackedHere = 4;    // counted by the batch, on the worker's thread
  static constexpr unsigned kTrackedAtomic = 8;  // counted by the io_context
  static constexpr unsigned kTracked = kTrackedHere | kTrackedAtomic;

  constexpr bool tracked() const noexcept { return (bits_ & kTracked) != 0; }
  constexpr unsigned properties() const noexcept {
    return (bits_ & ~kTracked) | (tracked() ? kTrackedHere : 0);
  }
  boost::asio::io_context::executor_type inner() const noexcept {
    return batch_->context().get_executor();
  }
  void count_work() noexcept {
    if (inner().running_in_this_thread()) {
      batch_->work_started_here();
      bits_ |= kTrackedHere;
    } else {
      inner().on_work_started();
      bits_ |= kTrackedAtomic;
    }
  }
  void release_work() noexcept {
    if ((bits_ & kTrackedHere) != 0) {
      if (inner().running_in_this_thread()) {
        batch_->work_finished_here();
      } else {
        // Queued, the post holds the io_context's work itself until it runs.
        HandlerBatch* batch = batch_;
        boost::asio::post(inner(), [batch] { batch->work_finished_here(); });
      }
    }
    if ((bits_ & kTrackedAtomic) != 0) inner().on_work_finished();
  }
  // A copy with a property other than the work changed.
  BatchingExecutor with(unsigned bit, bool on) const {
    BatchingExecutor copy(*this);
    copy.bits_ = on ? (copy.bits_ | bit) : (copy.bits_ & ~bit);
    return copy;
  }

  HandlerBatch* batch_;
  unsigned bits_ = 0;
};

}  // namespace wsexec
