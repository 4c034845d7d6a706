#pragma once
// A worker's handlers that post more handlers, run in one turn of its event
// loop.
//
// Asio's io_context polls its epoll (a system call, `epoll_wait` with a
// zero timeout) between every two handlers it runs while its queue is not
// empty. A chain of handlers that each post the next (Beast completing a
// read from its buffer, the coroutine it resumes asking for the next
// message) therefore costs one system call per link: a batch of 63 binary
// messages of 1 KiB read in one recv() made 63 polls that found nothing.
// Handlers posted on the worker's own thread come here instead and run one
// after the other, up to kMaxPerTurn, before the loop polls again; so I/O
// is still looked at between batches and no chain can starve the others.
//
// Used only from the worker's thread (BatchingExecutor sends posts from
// other threads to the io_context itself).
#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <type_traits>
#include <utility>

namespace wsexec {

class HandlerBatch {
 public:
  // How many handlers run before the event loop polls for I/O again.
  static constexpr std::size_t kMaxPerTurn = 64;

  explicit HandlerBatch(boost::asio::io_context& context) : context_(context) {}
  HandlerBatch(const HandlerBatch&) = delete;
  HandlerBatch& operator=(const HandlerBatch&) = delete;

  boost::asio::io_context& context() const { return context_; }

  // Runs `handler` after the current one, ahead of the next poll for I/O.
  template <typename Handler>
  void push(Handler&& handler) {
    using Stored = std::decay_t<Handler>;
    push_task(std::make_unique<TaskOf<Stored>>(std::forward<Handler>(handler)));
  }

  // Destroys the handlers not yet run, without running them: the worker's
  // end, before its io_context goes.
  void discard();

  // Outstanding work counted on the worker's own thread (BatchingExecutor's
  // tracked copies made there). The io_context sees all of it as one unit,
  // held while there is any: Asio and Beast copy a tracked executor with
  // every operation and every handler, and counting each copy on the
  // io_context was an atomic increment and decrement each time.
  void work_started_here() {
    if (work_here_++ == 0) context_.get_executor().on_work_started();
  }
  void work_finished_here() {
    if (--work_here_ == 0) context_.get_executor().on_work_finished();
  }

 private:
  struct Task {
    virtual ~Task() = default;
    virtual void run() = 0;
  };
  template <typename Handler>
  struct TaskOf final : Task {
    explicit TaskOf(Handler&& h) : handler(std::move(h)) {}
    explicit TaskOf(const Handler& h) : handler(h) {}
    void run() override { handler(); }
    Handler handler;
  };

  void push_task(std::unique_ptr<Task> task);
  void schedule();
  void run_some();

  boost::asio::io_context& context_;
  std::deque<std::unique_ptr<Task>> tasks_;
  bool scheduled_ = false;  // a run_some() is in the io_context's queue
  bool running_ = false;    // run_some() is on the stack: it takes what is pushed
  std::size_t work_here_ = 0;
};

}  // namespace wsexec
