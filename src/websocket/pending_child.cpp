#include "websocket/pending_child.hpp"

#include "process/spawner.hpp"

namespace wsexec {

std::shared_ptr<PendingChild> PendingChild::request(Spawner& spawner, SpawnRequest request,
                                                    const boost::asio::any_io_executor& executor,
                                                    std::function<void(PendingChild&)> on_answer) {
  auto pending = std::make_shared<PendingChild>(executor);
  spawner.start(
      std::move(request), executor,
      [pending, on_answer = std::move(on_answer)](StartedChild started, std::error_code error) {
        pending->started_ = std::move(started);
        pending->error_ = error;
        pending->answered_.set();
        on_answer(*pending);
      });
  return pending;
}

}  // namespace wsexec
