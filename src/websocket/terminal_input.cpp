#include "websocket/terminal_input.hpp"

#include <signal.h>

#include "core/terminal_message.hpp"
#include "core/url_path.hpp"
#include "process/pseudo_terminal.hpp"
#include "server/log.hpp"

namespace wsexec {

void add_terminal_settings(SpawnRequest& spawn, const Config& config, std::string_view target) {
  spawn.terminal = config.pty          ? TerminalMode::session
                   : config.unbuffered ? TerminalMode::stdout_only
                                       : TerminalMode::none;
  if (spawn.terminal == TerminalMode::none) return;
  spawn.terminal_size = terminal_size_from_query(split_target(target).second);
  set_terminal_type(spawn.environment, spawn.terminal);
}

void deliver_to_terminal(bool binary, std::string_view payload, StdinFeeder& feeder, int master,
                         const std::string& log_context) {
  if (binary) return feeder.queue(payload, /*newline=*/false);
  const TerminalMessage message = read_terminal_message(payload);
  switch (message.kind) {
    case TerminalMessage::Kind::input:
      return feeder.queue(message.input, /*newline=*/false);
    case TerminalMessage::Kind::resize:
      if (const auto failed = set_window_size(master, message.size)) {
        log::write(LogLevel::debug, "session", log_context, "resize failed: " + failed.message());
      }
      return;
    case TerminalMessage::Kind::refused:
      log::write(LogLevel::info, "session", log_context,
                 "terminal control message ignored: " + message.problem);
      return;
  }
}

void hang_up_terminal(ChildProcess& child) {
  auto& master = child.stdout_pipe();
  if (master.is_open()) signal_foreground_group(master.native_handle(), SIGHUP);
  child.signal_group(SIGHUP);  // nothing once reaped: the pid may be someone else's
}

}  // namespace wsexec
