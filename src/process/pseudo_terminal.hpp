#pragma once
// Pseudo-terminals for children (--unbuffered, --pty): opening one, its
// window size, and its hang-up. Plain system calls, no Asio.
//
// The master side is ours (we read the program's output from it and, for
// a session, write its keystrokes to it); the slave side is the program's
// stdout (--unbuffered) or its stdin, stdout and stderr (--pty). Both are
// close-on-exec, and neither becomes our controlling terminal.
#include <system_error>

#include "core/terminal_session.hpp"
#include "process/owned_fd.hpp"

namespace wsexec {

struct PseudoTerminal {
  OwnedFd master;
  OwnedFd slave;
};

// A new pseudo-terminal of `size`. For TerminalMode::stdout_only its line
// discipline is made raw (no echo, no CR/LF translation, no signals, no
// flow control: the bytes printed are the bytes read); a session keeps the
// cooked defaults a shell expects. On failure both ends are empty and
// `error` says why.
PseudoTerminal open_pseudo_terminal(TerminalMode mode, TerminalSize size, std::error_code& error);

// Sets the window size; the kernel sends SIGWINCH to the terminal's
// foreground process group when it changes.
std::error_code set_window_size(int master, TerminalSize size);

// `signal` to the terminal's foreground process group (a job a shell
// runs), as its line discipline sends SIGINT for ^C.
void signal_foreground_group(int master, int signal);

}  // namespace wsexec
