#pragma once
// A shared program's clients grouped by the worker they live on, so that a
// piece of output costs one post per worker, not one per client: the
// worker's handler then hands the one shared piece to each of its clients
// in turn. Each group's list is an immutable snapshot, remade only after
// the clients changed (a join, a leave), never per piece.
//
// Runs on the program's thread. Order holds: posts from one thread to one
// worker run in the order they were made, so a client gets its pieces, and
// the program's other calls to it (its close), in the order they were made.
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "shared/shared_client.hpp"

namespace wsexec {

class SharedFanout {
 public:
  using Clients = std::unordered_map<std::uint64_t, SharedClientHandle>;

  // The clients joined or left: the next piece remakes the groups.
  void clients_changed() { current_ = false; }
  void post_to_all(const Clients& clients, const SharedOutputPtr& output);

 private:
  using Snapshot = std::shared_ptr<const std::vector<std::weak_ptr<SharedClient>>>;
  struct Group {
    boost::asio::any_io_executor executor;
    Snapshot clients;
  };
  void regroup(const Clients& clients);

  std::vector<Group> groups_;
  bool current_ = false;
};

}  // namespace wsexec
