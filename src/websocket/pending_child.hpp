#pragma once
// The child a WebSocket session asked for, from the moment it is asked for
// until the session takes it. The spawn's answer (the started child, or why
// it could not start) may arrive before the session's handshake ends or
// after; this box holds it in between.
//
// Held by pointer, only until the session has both: it is not needed for
// the connection's whole life.
#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <system_error>

#include "process/child_process.hpp"
#include "process/spawn_request.hpp"

namespace wsexec {

class Spawner;

class PendingChild {
 public:
  // Asks `spawner` to start `request`. Once the answer is stored,
  // `on_answer(box)` runs on `executor`; whatever it captures (the session)
  // is kept alive until then.
  static std::shared_ptr<PendingChild> request(Spawner& spawner, SpawnRequest request,
                                               const boost::asio::any_io_executor& executor,
                                               std::function<void(PendingChild&)> on_answer);

  bool has_answer() const { return answered_; }

  // The started child (empty if the spawn failed); once only.
  StartedChild take() { return std::move(started_); }
  // Why the spawn failed, with exec's errno when that is the reason.
  std::error_code error() const { return error_; }
  // The child started but could not be taken over (the event loop refused
  // its descriptors): reported as a failed start.
  void adoption_failed(std::error_code error) { error_ = error; }

 private:
  bool answered_ = false;
  StartedChild started_;
  std::error_code error_;
};

}  // namespace wsexec
