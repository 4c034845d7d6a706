// Pseudo-terminals for children, against the real kernel: the raw line
// discipline of --unbuffered, the cooked one of --pty, the window size and
// the EIO that ends the output.
#include "process/pseudo_terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace wsexec {
namespace {

// Up to `wanted` bytes from the master, waiting at most 2 s for each piece
// (never blocking the test for good if fewer come).
std::string read_master(int master, std::size_t wanted) {
  std::string got;
  char buffer[256];
  pollfd readable{master, POLLIN, 0};
  while (got.size() < wanted && ::poll(&readable, 1, 2000) == 1) {
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

TEST(PseudoTerminal, UnbufferedIsRawNothingAddedNothingEchoed) {
  std::error_code error;
  PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::stdout_only, {80, 24}, error);
  ASSERT_TRUE(terminal.master) << error.message();
  EXPECT_TRUE(::isatty(terminal.slave.get()));
  const std::string printed("a\nb\r\n\x03\x1a", 7);
  ASSERT_EQ(::write(terminal.slave.get(), printed.data(), printed.size()), 7);
  EXPECT_EQ(read_master(terminal.master.get(), printed.size()), printed);
  termios settings{};
  ASSERT_EQ(::tcgetattr(terminal.slave.get(), &settings), 0);
  EXPECT_EQ(settings.c_lflag & (ECHO | ICANON | ISIG), 0u);
  EXPECT_EQ(settings.c_oflag & OPOST, 0u);
}

TEST(PseudoTerminal, SessionKeepsTheCookedDefaults) {
  std::error_code error;
  PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::session, {80, 24}, error);
  ASSERT_TRUE(terminal.master) << error.message();
  ASSERT_EQ(::write(terminal.slave.get(), "a\n", 2), 2);
  EXPECT_EQ(read_master(terminal.master.get(), 3), "a\r\n");
  termios settings{};
  ASSERT_EQ(::tcgetattr(terminal.slave.get(), &settings), 0);
  EXPECT_NE(settings.c_lflag & ECHO, 0u);
  EXPECT_NE(settings.c_lflag & ISIG, 0u);
}

TEST(PseudoTerminal, SizeIsSetAtOpeningAndByResize) {
  std::error_code error;
  PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::session, {132, 43}, error);
  ASSERT_TRUE(terminal.master) << error.message();
  winsize window{};
  ASSERT_EQ(::ioctl(terminal.slave.get(), TIOCGWINSZ, &window), 0);
  EXPECT_EQ(window.ws_col, 132);
  EXPECT_EQ(window.ws_row, 43);
  EXPECT_FALSE(set_window_size(terminal.master.get(), {100, 30}));
  ASSERT_EQ(::ioctl(terminal.slave.get(), TIOCGWINSZ, &window), 0);
  EXPECT_EQ(window.ws_col, 100);
  EXPECT_EQ(window.ws_row, 30);
}

// The output pump reads until EIO: what was written before the slave closed
// must come first.
TEST(PseudoTerminal, OutputBeforeTheSlaveClosesIsReadBeforeEio) {
  std::error_code error;
  PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::stdout_only, {80, 24}, error);
  ASSERT_TRUE(terminal.master) << error.message();
  const std::string printed(3000, 'x');
  ASSERT_EQ(::write(terminal.slave.get(), printed.data(), printed.size()), 3000);
  terminal.slave.reset();
  std::string got;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(terminal.master.get(), buffer, sizeof buffer)) > 0) got.append(buffer, n);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(got, printed);
}

TEST(PseudoTerminal, NeitherEndLeaksIntoAChild) {
  std::error_code error;
  PseudoTerminal terminal = open_pseudo_terminal(TerminalMode::session, {80, 24}, error);
  ASSERT_TRUE(terminal.master) << error.message();
  EXPECT_NE(::fcntl(terminal.master.get(), F_GETFD) & FD_CLOEXEC, 0);
  EXPECT_NE(::fcntl(terminal.slave.get(), F_GETFD) & FD_CLOEXEC, 0);
}

}  // namespace
}  // namespace wsexec
