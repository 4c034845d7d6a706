#include "websocket/spliced_frame_write.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace wsexec {
namespace {

bool pipe_is_empty(int fd) {
  int pending = 0;
  return ::ioctl(fd, FIONREAD, &pending) == 0 && pending == 0;
}

}  // namespace

SplicedFrameWrite::SplicedFrameWrite(boost::asio::const_buffer header, int pipe_fd,
                                     std::size_t payload_bytes)
    : pipe_fd_(pipe_fd), payload_bytes_(payload_bytes), payload_left_(payload_bytes) {
  header_size_ = static_cast<std::uint8_t>(
      boost::asio::buffer_copy(boost::asio::buffer(header_), header));
}

SplicedFrameWrite::Progress SplicedFrameWrite::write_some(int socket_fd,
                                                          boost::system::error_code& ec) {
  while (header_sent_ < header_size_) {
    // MSG_MORE: the header waits in the kernel for the payload, so both
    // leave in one segment. MSG_NOSIGNAL: a vanished client is EPIPE.
    const ssize_t n = ::send(socket_fd, header_.data() + header_sent_, header_size_ - header_sent_,
                             MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT);
    const int error = n < 0 ? errno : 0;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK) return Progress::socket_full;
    if (n < 0) {
      ec.assign(error, boost::system::system_category());
      return Progress::failed;
    }
    header_sent_ = static_cast<std::uint8_t>(header_sent_ + n);
  }
  while (payload_left_ > 0) {
    const ssize_t n = ::splice(pipe_fd_, nullptr, socket_fd, nullptr, payload_left_,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    const int error = n < 0 ? errno : 0;
    if (error == EINTR) continue;
    const bool would_block = error == EAGAIN || error == EWOULDBLOCK;
    // "Would block" is the socket's, as the pipe holds the whole payload;
    // if it ran dry under a promised size after all (another reader took
    // bytes), the frame cannot be finished and the connection must fail,
    // rather than wait for a socket that is writable already.
    if (n == 0 || (would_block && pipe_is_empty(pipe_fd_))) {
      ec = boost::system::errc::make_error_code(boost::system::errc::broken_pipe);
      return Progress::failed;
    }
    if (would_block) return Progress::socket_full;
    if (n < 0) {
      ec.assign(error, boost::system::system_category());
      return Progress::failed;
    }
    payload_left_ -= std::min(payload_left_, static_cast<std::size_t>(n));
  }
  return Progress::done;
}

}  // namespace wsexec
