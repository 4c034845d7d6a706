#pragma once
// The WebSocket side of --unbuffered and --pty: what the spawn request
// carries, and what a --pty client's messages become. No Beast here.
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "process/child_process.hpp"
#include "process/spawn_request.hpp"
#include "process/stdin_feeder.hpp"

namespace wsexec {

// The terminal mode of the configuration, the size the URL asks for
// ("?cols=&rows="), and TERM in the environment. Only WebSocket programs get
// a terminal: a CGI script's output is an HTTP response.
void add_terminal_settings(SpawnRequest& spawn, const Config& config, std::string_view target);

// One client message to a --pty session: a binary message is keystrokes, as
// they are; a text message is a control message (resize: the window size
// changes at once, and the program gets SIGWINCH) or keystrokes too
// (core/terminal_message). Keystrokes queue in `feeder` behind what came
// before them, so a resize may overtake keystrokes still queued; programs
// redraw on SIGWINCH whenever it comes.
void deliver_to_terminal(bool binary, std::string_view payload, StdinFeeder& feeder, int master,
                         const std::string& log_context);

// What a real terminal does when its line drops, for a --pty session whose
// client left: SIGHUP to the foreground process group (a job the shell
// runs) and to the session leader's group (the shell, which passes it on
// to its other jobs). Comes before the termination ladder, whose signals
// reach only the leader's group.
void hang_up_terminal(ChildProcess& child);

}  // namespace wsexec
