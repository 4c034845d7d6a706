#pragma once
// One way for a WebSocket session (per-connection or a shared program's
// client) to run a coroutine of its own: on the session's executor, keeping
// the session alive until the coroutine ends, and turning an exception that
// escapes it into an error line in the log (with the session's context)
// instead of the end of the server.

#include <boost/asio/co_spawn.hpp>
#include <exception>
#include <memory>
#include <string>

#include "server/log.hpp"

namespace wsexec {

// Runs `body(*self)`. `context` is the session's log context, read only if
// the coroutine fails (it must outlive the session's tasks: a member of it).
template <typename Session, typename Executor, typename Body>
void spawn_session_task(const Executor& executor, std::shared_ptr<Session> self,
                        const std::string& context, Body body) {
  boost::asio::co_spawn(
      executor, [self, body = std::move(body)]() mutable { return body(*self); },
      [self, &context](std::exception_ptr failure) {
        if (!failure) return;
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          log::write(LogLevel::error, "session", context,
                     std::string("internal error: ") + e.what());
        }
      });
}

}  // namespace wsexec
