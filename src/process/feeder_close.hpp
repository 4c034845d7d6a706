#pragma once
// The termination ladder's first step for a session that feeds its child's
// stdin through a StdinFeeder: the session's queue is written first and the
// EOF follows once the child has read it all (close_after_drain), and the
// ladder's wait goes on while the child is still reading
// (taken_while_closing). Once the session is gone, stdin just closes.
#include <cstdint>
#include <memory>
#include <optional>

#include "process/child_supervisor.hpp"
#include "process/stdin_feeder.hpp"

namespace wsexec {

// `feeder`: the owner's member holding its feeder, set before the ladder
// can start. The owner is held weakly: the ladder may outlive it.
template <typename Owner>
void close_stdin_through_feeder(ChildSupervisor& supervisor, std::weak_ptr<Owner> owner,
                                std::optional<StdinFeeder> Owner::*feeder) {
  supervisor.on_close_stdin([owner, feeder](ChildProcess& child) {
    if (const auto self = owner.lock()) {
      ((*self).*feeder)->close_after_drain();
    } else {
      child.close_stdin();  // the owner and its queue are gone
    }
  });
  supervisor.on_stdin_progress([owner, feeder]() -> std::optional<std::uint64_t> {
    const auto self = owner.lock();
    if (!self) return std::nullopt;
    return ((*self).*feeder)->taken_while_closing();
  });
}

}  // namespace wsexec
