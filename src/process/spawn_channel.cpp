#include "process/spawn_channel.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace wsexec {
namespace {

// Room for the most descriptors a message carries (three pipe ends).
constexpr std::size_t kMaxDescriptors = 4;

void set_errno(std::error_code& error, int value) {
  error.assign(value, std::system_category());
}

// Takes the descriptors out of a received message: ours to close from here.
void collect_descriptors(msghdr& message, std::vector<OwnedFd>& fds, std::size_t max_fds) {
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
      OwnedFd owned(fd);
      if (fds.size() < max_fds) fds.push_back(std::move(owned));  // else closed here
    }
  }
}

// After EAGAIN: waits until the socket is ready for `events`, at most
// `wait_ms`. False (errno EAGAIN) on the limit.
bool wait_until_ready(int socket, short events, int wait_ms) {
  pollfd watched{socket, events, 0};
  int ready;
  do {
    ready = ::poll(&watched, 1, wait_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) errno = EAGAIN;
  return ready > 0;
}

bool would_block(int value) {
  return value == EAGAIN || value == EWOULDBLOCK;
}

}  // namespace

bool send_with_descriptors(int socket, const std::string& bytes, const std::vector<int>& fds,
                           std::error_code& error, int wait_ms) {
  if (fds.size() > kMaxDescriptors) {
    set_errno(error, EINVAL);
    return false;
  }
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxDescriptors * sizeof(int))] = {};
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    iovec chunk{const_cast<char*>(bytes.data() + sent), bytes.size() - sent};
    msghdr message{};
    message.msg_iov = &chunk;
    message.msg_iovlen = 1;
    if (sent == 0 && !fds.empty()) {
      message.msg_control = control;
      message.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
      cmsghdr* header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_RIGHTS;
      header->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
      std::memcpy(CMSG_DATA(header), fds.data(), fds.size() * sizeof(int));
    }
    // MSG_NOSIGNAL: a vanished peer is EPIPE here, not a SIGPIPE.
    const ssize_t n = ::sendmsg(socket, &message, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno) && wait_until_ready(socket, POLLOUT, wait_ms)) continue;
      set_errno(error, errno);
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool receive_with_descriptors(int socket, std::size_t size, std::string& bytes,
                              std::vector<OwnedFd>& fds, std::size_t max_fds,
                              std::error_code& error, int wait_ms) {
  bytes.resize(size);
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxDescriptors * sizeof(int))];
  std::size_t got = 0;
  while (got < size) {
    iovec chunk{bytes.data() + got, size - got};
    msghdr message{};
    message.msg_iov = &chunk;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    // Never a blocking read: its wait wakes for anything that happens on the
    // socket, including the room the other side makes by reading what this
    // side sent (a helper, woken each time the server reads its answer, ran
    // and slept again on the server's core, two context switches a spawn).
    // poll() wakes only for input.
    const ssize_t n = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (would_block(errno) && wait_until_ready(socket, POLLIN, wait_ms)) continue;
      set_errno(error, errno);
      return false;
    }
    collect_descriptors(message, fds, max_fds);
    if ((message.msg_flags & MSG_CTRUNC) != 0) {
      set_errno(error, EMSGSIZE);  // descriptors were dropped on the way
      return false;
    }
    if (n == 0) {
      if (got != 0) set_errno(error, EPIPE);  // cut off inside a message
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace wsexec
