#include "process/pseudo_terminal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <array>
#include <cerrno>

namespace wsexec {
namespace {

std::error_code last_error() {
  return {errno, std::system_category()};
}

// The slave side of `master`. TIOCGPTPEER (Linux 4.13) opens it without a
// path, so nothing can be swapped in between; older kernels go by name.
OwnedFd open_slave(int master) {
  constexpr int kFlags = O_RDWR | O_NOCTTY | O_CLOEXEC;
  const int peer = ::ioctl(master, TIOCGPTPEER, kFlags);
  if (peer >= 0 || errno != EINVAL) return OwnedFd(peer);
  std::array<char, 128> name{};
  if (::ptsname_r(master, name.data(), name.size()) != 0) return OwnedFd();
  return OwnedFd(::open(name.data(), kFlags));
}

// cfmakeraw, and OPOST off with it: a program's "\n" stays "\n" (no
// "\r\n"), and no byte it prints is taken as a signal or flow control.
bool make_raw(int slave) {
  termios settings{};
  if (::tcgetattr(slave, &settings) != 0) return false;
  ::cfmakeraw(&settings);
  return ::tcsetattr(slave, TCSANOW, &settings) == 0;
}

}  // namespace

PseudoTerminal open_pseudo_terminal(TerminalMode mode, TerminalSize size, std::error_code& error) {
  PseudoTerminal terminal;
  terminal.master.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!terminal.master || ::grantpt(terminal.master.get()) != 0 ||
      ::unlockpt(terminal.master.get()) != 0) {
    error = last_error();
    return {};
  }
  terminal.slave = open_slave(terminal.master.get());
  if (!terminal.slave || (mode == TerminalMode::stdout_only && !make_raw(terminal.slave.get()))) {
    error = last_error();
    return {};
  }
  if (const auto failed = set_window_size(terminal.master.get(), size)) {
    error = failed;
    return {};
  }
  return terminal;
}

std::error_code set_window_size(int master, TerminalSize size) {
  winsize window{};
  window.ws_col = static_cast<unsigned short>(size.columns);
  window.ws_row = static_cast<unsigned short>(size.rows);
  if (::ioctl(master, TIOCSWINSZ, &window) != 0) return last_error();
  return {};
}

void signal_foreground_group(int master, int signal) {
  // May find nobody (ESRCH; EIO once the session has no terminal any
  // more): then there is nobody left to tell.
  ::ioctl(master, TIOCSIG, signal);
}

}  // namespace wsexec
