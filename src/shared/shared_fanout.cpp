#include "shared/shared_fanout.hpp"

#include <boost/asio/post.hpp>

namespace wsexec {

void SharedFanout::post_to_all(const Clients& clients, const SharedOutputPtr& output) {
  if (!current_) regroup(clients);
  for (const Group& group : groups_) {
    boost::asio::post(group.executor, [clients = group.clients, output] {
      for (const auto& weak : *clients) {
        if (auto client = weak.lock()) client->deliver(output);
      }
    });
  }
}

// O(clients), once per change that a piece follows: a storm of joins with
// no output in between costs nothing here.
void SharedFanout::regroup(const Clients& clients) {
  std::vector<boost::asio::any_io_executor> executors;
  std::vector<std::vector<std::weak_ptr<SharedClient>>> lists;
  for (const auto& [id, client] : clients) {
    std::size_t at = 0;
    while (at < executors.size() && executors[at] != client.executor) ++at;  // a few workers
    if (at == executors.size()) {
      executors.push_back(client.executor);
      lists.emplace_back();
    }
    lists[at].push_back(client.client);
  }
  groups_.clear();
  for (std::size_t i = 0; i < executors.size(); ++i) {
    groups_.push_back(
        {std::move(executors[i]),
         std::make_shared<const std::vector<std::weak_ptr<SharedClient>>>(std::move(lists[i]))});
  }
  current_ = true;
}

}  // namespace wsexec
