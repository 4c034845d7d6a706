#include "server/handler_batch.hpp"

#include <boost/asio/post.hpp>

namespace wsexec {

void HandlerBatch::push_task(std::unique_ptr<Task> task) {
  tasks_.push_back(std::move(task));
  if (!scheduled_ && !running_) schedule();
}

void HandlerBatch::discard() {
  // Moved out first: a handler's destructor may push (it is then destroyed
  // with the rest at the next discard or with the batch).
  auto pending = std::move(tasks_);
  tasks_.clear();
  pending.clear();
}

void HandlerBatch::schedule() {
  scheduled_ = true;
  boost::asio::post(context_, [this] { run_some(); });
}

void HandlerBatch::run_some() {
  scheduled_ = false;
  running_ = true;
  // Also when a handler throws (the exception leaves io_context::run, as
  // it did before): what is left is run in a later turn.
  struct EndOfTurn {
    HandlerBatch& batch;
    ~EndOfTurn() {
      batch.running_ = false;
      if (!batch.tasks_.empty() && !batch.scheduled_) batch.schedule();
    }
  } end_of_turn{*this};
  for (std::size_t ran = 0; ran < kMaxPerTurn && !tasks_.empty(); ++ran) {
    const std::unique_ptr<Task> task = std::move(tasks_.front());
    tasks_.pop_front();
    task->run();
  }
}

}  // namespace wsexec
