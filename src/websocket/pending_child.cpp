#include "websocket/pending_child.hpp"

#include <chrono>

#include "process/spawner.hpp"
#include "server/metrics.hpp"

namespace wsexec {

std::shared_ptr<PendingChild> PendingChild::request(Spawner& spawner, SpawnRequest request,
                                                    const boost::asio::any_io_executor& executor,
                                                    std::function<void(PendingChild&)> on_answer) {
  auto pending = std::make_shared<PendingChild>();
  spawner.start(
      std::move(request), executor,
      [pending, on_answer = std::move(on_answer), asked = std::chrono::steady_clock::now()](
          StartedChild started, std::error_code error) {
        metrics::spawned(std::chrono::steady_clock::now() - asked, static_cast<bool>(started));
        pending->started_ = std::move(started);
        pending->error_ = error;
        pending->answered_ = true;
        on_answer(*pending);
      });
  return pending;
}

}  // namespace wsexec
