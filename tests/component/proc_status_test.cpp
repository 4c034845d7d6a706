// The tests' reader of /proc/PID/status (tests/common/proc_status.hpp):
// memory and wake-up checks in both suites compare its numbers, and a
// reader that always said -1 would make every such difference 0.
#include <sys/types.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "proc_status.hpp"

namespace {

TEST(ProcStatus, ReadsTheNumberOfAFieldOfARunningProcess) {
  EXPECT_GT(wsexec_test::proc_status_number(::getpid(), "VmRSS"), 0);
  EXPECT_GE(wsexec_test::proc_status_number(::getpid(), "voluntary_ctxt_switches"), 0);
  EXPECT_EQ(wsexec_test::proc_status_number(::getpid(), "Pid"), ::getpid());
}

TEST(ProcStatus, SaysMinusOneForAFieldOrAProcessThatIsNotThere) {
  EXPECT_EQ(wsexec_test::proc_status_number(::getpid(), "NoSuchField"), -1);
  // Not a prefix match: "Vm" is the start of several fields, not one.
  EXPECT_EQ(wsexec_test::proc_status_number(::getpid(), "Vm"), -1);
  const pid_t no_such_pid = 1 << 30;  // above any pid_max
  EXPECT_EQ(wsexec_test::proc_status_number(no_such_pid, "VmRSS"), -1);
}

}  // namespace
