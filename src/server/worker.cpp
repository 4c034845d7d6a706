#include "server/worker.hpp"

#include <boost/asio/steady_timer.hpp>
#include <thread>

namespace wsexec {

std::size_t worker_count() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

// Concurrency hint 1: one thread runs it, Asio may skip locks. The timer
// makes Asio create the worker's epoll, eventfd and timerfd now rather than
// with its first connection, so the server's own descriptors are all open
// from the start (a worker may see its first connection late: see
// choose_worker).
Worker::Worker() : context_(1) {
  boost::asio::steady_timer create_reactor_now(context_);
}

}  // namespace wsexec
