#pragma once
// The termination ladder: how a child is ended when its client goes away.
// Each step acts, then waits for the child to exit before the next one; the
// first exit ends the ladder. Pure, so the schedule is unit tested.
#include <array>
#include <chrono>
#include <string_view>

namespace wsexec {

enum class LadderAction { close_stdin, send_sigint, send_sigterm, send_sigkill };

struct LadderStep {
  LadderAction action;
  std::chrono::milliseconds wait;  // how long to wait for an exit after acting
};

// close stdin, wait 100 ms; SIGINT, wait 250 ms; SIGTERM, wait 500 ms;
// SIGKILL. `extra_grace` (--closems) is added to every wait, SIGKILL's
// included, since that one is how long we wait before reporting a child that
// even SIGKILL did not end (it cannot happen short of a kernel hang).
std::array<LadderStep, 4> termination_ladder(std::chrono::milliseconds extra_grace);

// "close stdin", "SIGINT", "SIGTERM", "SIGKILL": for the debug log.
std::string_view ladder_action_name(LadderAction action);

}  // namespace wsexec
