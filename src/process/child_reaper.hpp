#pragma once
// Reaping a killed child without waiting for it. After SIGKILL a child
// usually dies within microseconds, but one in uninterruptible sleep (a
// hung NFS read, a stuck device) dies only when the kernel lets it: a
// blocking waitpid in a destructor would stop a whole worker meanwhile.
// One process-wide thread waits instead, on every such child's pidfd at
// once, and reaps each as it exits.
#include <sys/types.h>

#include "process/owned_fd.hpp"

namespace wsexec {

// Reaps `pid` once it has exited, on the reaper thread; returns at once.
// The caller has already sent the signal that ends it, and from now on must
// not signal it or its group again: once reaped, its pid may be reused.
// `pidfd` (the child's, readable at its exit) may be empty: such a child is
// then polled for every 100 ms instead. Never throws: if the reaper cannot
// take the child (no memory, no thread), it is reaped here, blocking.
void reap_in_background(pid_t pid, OwnedFd pidfd) noexcept;

}  // namespace wsexec
