#pragma once
// One server frame whose payload goes from a pipe to a socket without
// passing through the server: its header is sent with MSG_MORE, then the
// payload is spliced from the pipe (splice(2)). For a program's binary
// output on a plain TCP or Unix socket, it saves the two copies a read into
// the server and a write out of it cost: at 64 KiB chunks those two copies
// were what bounded binary throughput (docs/performance.md, "Binary output
// spliced").
//
// The caller must know the pipe holds the whole payload already (FIONREAD,
// and no other reader): the header promises its size, so a frame once begun
// is finished whatever else happens, or the connection fails.
//
// Only the system calls are here, no waiting: write_some() moves what the
// socket takes now and says whether it is done, must wait for the socket to
// be writable, or failed. The socket must be non-blocking.
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>

namespace wsexec {

class SplicedFrameWrite {
 public:
  enum class Progress { done, socket_full, failed };

  // `header`: at most 14 bytes (the longest WebSocket header), copied.
  SplicedFrameWrite(boost::asio::const_buffer header, int pipe_fd, std::size_t payload_bytes);

  Progress write_some(int socket_fd, boost::system::error_code& ec);

  std::size_t payload_bytes() const { return payload_bytes_; }

 private:
  std::array<unsigned char, 14> header_{};
  std::uint8_t header_size_ = 0;
  std::uint8_t header_sent_ = 0;
  int pipe_fd_;
  std::size_t payload_bytes_;
  std::size_t payload_left_;
};

}  // namespace wsexec
