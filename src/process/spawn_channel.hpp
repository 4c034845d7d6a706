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

// Sends all of `bytes`, with `fds` attached to the first of them.
bool send_with_descriptors(int socket, const std::string& bytes, const std::vector<int>& fds,
                           std::error_code& error);

// Reads exactly `size` bytes into `bytes` and whatever descriptors came with
// them (close-on-exec, at most `max_fds`; extras are closed). False with
// `error` set on failure; false with no error on a clean EOF before the
// first byte (the other side closed).
bool receive_with_descriptors(int socket, std::size_t size, std::string& bytes,
                              std::vector<OwnedFd>& fds, std::size_t max_fds,
                              std::error_code& error);

}  // namespace wsexec
