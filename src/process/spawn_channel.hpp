#pragma once
// Bytes with descriptors beside them over a Unix stream socket
// (SCM_RIGHTS): the transport between the server and its spawn helpers.
// Blocking calls; each side has its own socket and nothing else to do
// while it waits.
#include <cstddef>
#include <string>
#include <system_error>
#include <vector>

#include "process/owned_fd.hpp"

namespace wsexec {

// The socket may be non-blocking (a worker that waits for a helper's
// answer through its event loop makes it so: the flag belongs to the socket,
// not to one descriptor of it). Then each call waits for it with poll(), at
// most `wait_ms` each time (-1: without a limit), and fails with EAGAIN
// past that, as a blocking socket's SO_RCVTIMEO or SO_SNDTIMEO would.
// Receiving always waits that way, whatever the socket's mode.

// Sends all of `bytes`, with `fds` attached to the first of them.
bool send_with_descriptors(int socket, const std::string& bytes, const std::vector<int>& fds,
                           std::error_code& error, int wait_ms = -1);

// Reads exactly `size` bytes into `bytes` and whatever descriptors came with
// them (close-on-exec, at most `max_fds`; extras are closed). False with
// `error` set on failure; false with no error on a clean EOF before the
// first byte (the other side closed).
bool receive_with_descriptors(int socket, std::size_t size, std::string& bytes,
                              std::vector<OwnedFd>& fds, std::size_t max_fds,
                              std::error_code& error, int wait_ms = -1);

}  // namespace wsexec
