#pragma once
// The executor of a worker's connections: the worker's io_context, except
// that a handler posted from the worker's own thread goes to the worker's
// HandlerBatch (see handler_batch.hpp for why). Everything else is the
// io_context's executor: dispatch runs inline on the worker's thread, a
// post from another thread (the spawner's answer) goes to the io_context's
// queue, and outstanding work is counted by the io_context.
//
// Wrapped in boost::asio::any_io_executor (Worker::executor()), so sockets,
// pipes, timers and coroutines take it without a type of their own. It
// fits any_io_executor's small buffer (two words): no allocation per copy.
//
// Include only where the executor is made (worker.cpp): the property
// machinery is heavy to compile.
#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>
#include <utility>

#include "server/handler_batch.hpp"

namespace wsexec {

class BatchingExecutor {
 public:
  explicit BatchingExecutor(HandlerBatch& batch) noexcept : batch_(&batch) {}

  BatchingExecutor(const BatchingExecutor& other) noexcept
      : batch_(other.batch_), bits_(other.bits_) {
    if (tracked()) inner().on_work_started();
  }
  BatchingExecutor(BatchingExecutor&& other) noexcept : batch_(other.batch_), bits_(other.bits_) {
    other.bits_ &= ~kTracked;  // the work moves with us
  }
  BatchingExecutor& operator=(BatchingExecutor other) noexcept {
    std::swap(batch_, other.batch_);
    std::swap(bits_, other.bits_);
    return *this;
  }
  ~BatchingExecutor() {
    if (tracked()) inner().on_work_finished();
  }

  // On the worker's thread, inside its run(): what a handler needs to know
  // before it runs anything on the loop (see runs_on_this_thread).
  bool running_in_this_thread() const noexcept { return inner().running_in_this_thread(); }

  friend bool operator==(const BatchingExecutor& a, const BatchingExecutor& b) noexcept {
    return a.batch_ == b.batch_ && a.bits_ == b.bits_;
  }
  friend bool operator!=(const BatchingExecutor& a, const BatchingExecutor& b) noexcept {
    return !(a == b);
  }

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
    return with(kTracked, true);
  }
  BatchingExecutor require(boost::asio::execution::outstanding_work_t::untracked_t) const {
    return with(kTracked, false);
  }

 private:
  static constexpr unsigned kNever = 1;
  static constexpr unsigned kTracked = 2;
  static constexpr unsigned kContinuation = 4;

  constexpr bool tracked() const noexcept { return (bits_ & kTracked) != 0; }
  boost::asio::io_context::executor_type inner() const noexcept {
    return batch_->context().get_executor();
  }
  BatchingExecutor with(unsigned bit, bool on) const {
    BatchingExecutor copy(*batch_);
    copy.bits_ = on ? (bits_ | bit) : (bits_ & ~bit);
    if (copy.tracked()) copy.inner().on_work_started();
    return copy;
  }

  HandlerBatch* batch_;
  unsigned bits_ = 0;
};

}  // namespace wsexec
