#pragma once
// --metrics: a small HTTP listener of its own, apart from the endpoint's,
// serving GET /metrics (the Prometheus text of metrics::collect) and
// GET /healthz (200 "ok" while the server accepts, 503 once it drains or
// stops). It runs on the server's control loop (the main thread), so a
// scrape never waits behind a worker's connections, nor they behind it.
// Beast stays in the .cpp (this header is included by server.cpp).
#include <boost/asio/io_context.hpp>
#include <memory>

#include "server/server_state.hpp"

namespace wsexec {

class MetricsListener {
 public:
  // Binds --metrics on `context`, or throws StartupError naming the
  // address and the reason (before any listener accepts).
  MetricsListener(boost::asio::io_context& context, ServerState& state);
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  void start();
  // Stops accepting and closes open scrapes, so the loop can end. On the
  // loop's thread.
  void close();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace wsexec
