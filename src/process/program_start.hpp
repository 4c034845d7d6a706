#pragma once
// Starting a program as every child of the server starts: on the three
// given descriptors, in a process group of its own, with default signal
// dispositions, an empty signal mask and nothing else open.
//
// clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) on a stack reused by the
// calling thread, then exec: like glibc's posix_spawn (which returns once
// the child has exec'd, or with exec's errno), minus its per-call stack
// mapping. No Asio here: the
// bench compiles this file too, so its limits measure the same spawn.
#include <sys/types.h>

#include <system_error>

namespace wsexec {

struct StartedProgram {
  pid_t pid = -1;
  int pidfd = -1;  // close-on-exec
};

// Whether the child starts a session of its own (--pty): setsid() instead
// of setpgid(), then its stdin (a terminal) becomes its controlling
// terminal. Its session and process group ids are still its pid, so the
// ladder's group signals reach it as they reach any child.
enum class ChildSession { own_group, own_terminal_session };

// Returns once the child has exec'd. On failure (clone, or exec: ENOENT,
// EACCES, ...) pid is -1, `error` says why, and the failed child has been
// reaped. Safe to call from several threads at once.
StartedProgram start_program(const char* path, char* const argv[], char* const envp[], int stdin_fd,
                             int stdout_fd, int stderr_fd, std::error_code& error,
                             ChildSession session = ChildSession::own_group);

// The signals whose disposition is not the default in the calling process,
// read once, for a process that changes no disposition afterwards: the
// spawn helper. Its children then reset those alone, where a child of the
// server asks about every signal before its exec (the server may install a
// handler at any time): about 60 system calls and 12 us of each child's
// start, while its spawner waits.
struct ChangedSignals {
  int count = 0;
  int signals[64] = {};
  // False if a disposition could not be read: then use none (children ask).
  bool read_now();
};

// For the spawn helper (spawn_helpers.hpp): the same start, but the child
// becomes a child of the caller's parent (CLONE_PARENT), so the server that
// asked the helper owns, signals and reaps it as if it had started it. On
// failure `error` is set and pid is -1, or, when exec failed, the pid of a
// child that has already exited: not the caller's to reap, its parent must.
// `changed`: the caller's ChangedSignals, or null for the child to ask.
StartedProgram start_program_for_parent(const char* path, char* const argv[], char* const envp[],
                                        int stdin_fd, int stdout_fd, int stderr_fd,
                                        std::error_code& error, ChildSession session,
                                        const ChangedSignals* changed);

// SIGKILL to a child's process group, then a blocking wait for it, so no
// zombie is left. For a child that dies at once (one that failed to exec,
// one just started) and for the bench; a child that may be slow to die goes
// to reap_in_background (child_reaper.hpp), which waits on no caller's time.
void kill_group_and_reap(pid_t pid);

}  // namespace wsexec
