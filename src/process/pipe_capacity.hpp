#pragma once
// Growing a child's pipe for a bulk stream (limits::kBulkPipeBytes).
#include <cstddef>

namespace wsexec {

// Asks the kernel for `bytes` of capacity on the pipe `fd` (either end).
// A refusal is not an error: over the user's pipe budget, above
// /proc/sys/fs/pipe-max-size, or not a pipe at all (a terminal), the pipe
// stays as it is and the stream only runs slower. True if it was grown.
bool grow_pipe(int fd, std::size_t bytes) noexcept;

}  // namespace wsexec
