#include "core/exit_status.hpp"

#include <gtest/gtest.h>

namespace wsexec {
namespace {

TEST(ExitCloseReason, AnExitCodeIsNamedAsAnExit) {
  EXPECT_EQ(exit_close_reason(ProgramExit::exited(0)), "exit 0");
  EXPECT_EQ(exit_close_reason(ProgramExit::exited(3)), "exit 3");
  EXPECT_EQ(exit_close_reason(ProgramExit::exited(255)), "exit 255");
}

TEST(ExitCloseReason, ASignalIsNamedByItsNumber) {
  EXPECT_EQ(exit_close_reason(ProgramExit::signaled(9)), "signal 9");
  EXPECT_EQ(exit_close_reason(ProgramExit::signaled(15)), "signal 15");
}

TEST(ExitCloseReason, FitsInAControlFrame) {
  // A close frame's reason has at most 123 bytes.
  EXPECT_LE(exit_close_reason(ProgramExit::signaled(2'147'483'647)).size(), 123u);
}

TEST(ExitLogValue, AnExitIsTheBareCodeASignalKeepsItsWord) {
  EXPECT_EQ(exit_log_value(ProgramExit::exited(0)), "0");
  EXPECT_EQ(exit_log_value(ProgramExit::exited(3)), "3");
  EXPECT_EQ(exit_log_value(ProgramExit::signaled(9)), "signal 9");
}

}  // namespace
}  // namespace wsexec
