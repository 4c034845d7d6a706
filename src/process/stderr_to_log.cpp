#include "process/stderr_to_log.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>

#include "core/limits.hpp"
#include "core/line_framing.hpp"
#include "process/child_supervisor.hpp"
#include "server/log.hpp"

namespace wsexec {
namespace {

struct StderrRelay : std::enable_shared_from_this<StderrRelay> {
  StderrRelay(std::shared_ptr<ChildSupervisor> supervisor_in, std::string context_in)
      : supervisor(std::move(supervisor_in)), context(std::move(context_in)) {}

  void wait() {
    auto& pipe = supervisor->child().stderr_pipe();
    pipe.async_wait(ChildProcess::Pipe::wait_read,
                    [self = shared_from_this()](const boost::system::error_code& ec) {
                      self->on_readable(ec);
                    });
  }

  void on_readable(const boost::system::error_code& ec) {
    auto& pipe = supervisor->child().stderr_pipe();
    if (ec || !pipe.is_open()) return finish();
    std::array<char, limits::kStderrReadBytes> chunk;
    ssize_t n;
    do {
      n = ::read(pipe.native_handle(), chunk.data(), chunk.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return wait();  // nothing after all
    if (n <= 0) return finish();
    lines.append(std::string_view(chunk.data(), static_cast<std::size_t>(n)));
    while (auto line = lines.next_line()) log::write(LogLevel::error, "stderr", context, *line);
    lines.compact();
    wait();
  }

  void finish() {
    while (auto last = lines.finish()) log::write(LogLevel::error, "stderr", context, *last);
  }

  std::shared_ptr<ChildSupervisor> supervisor;
  std::string context;
  LineFramer lines;
};

}  // namespace

void relay_stderr_to_log(std::shared_ptr<ChildSupervisor> supervisor, std::string log_context) {
  std::make_shared<StderrRelay>(std::move(supervisor), std::move(log_context))->wait();
}

}  // namespace wsexec
