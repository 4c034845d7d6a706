#pragma once
// How a program ended, in the words the client and the log are given: the
// reason of the close frame ("exit 3", "signal 9") and the value of the
// DISCONNECT line's exit:'...' field ("3", "signal 9"). Pure: the process
// layer reads the status from the kernel and hands it over as this struct.
#include <string>

namespace wsexec {

struct ProgramExit {
  enum class Kind { exited, signaled };
  Kind kind = Kind::exited;
  int value = 0;  // the exit code, or the number of the signal that ended it

  static ProgramExit exited(int code) { return {Kind::exited, code}; }
  static ProgramExit signaled(int signal) { return {Kind::signaled, signal}; }
  bool operator==(const ProgramExit&) const = default;
};

// "exit 0", "exit 3", "signal 9": the close frame's reason. Numbers, not
// signal names, so a client can parse it without a table of names.
std::string exit_close_reason(ProgramExit exit);

// "0", "3", "signal 9": the log's exit:'...' value. A plain code for an
// exit, as websocketd users would write it; a signal keeps its word so it
// is never mistaken for an exit code.
std::string exit_log_value(ProgramExit exit);

}  // namespace wsexec
