#pragma once
// The header of one unmasked, final, uncompressed server frame, written by
// Beast's own frame writer: for frames the server writes without a Beast
// write operation (a shared program's output encoded once for all its
// clients, a binary chunk of a program's output sent in one write with its
// payload). Beast parses; we only ask it for the bytes it would have sent.
//
// Includes a Beast header: include only in src/websocket and src/shared.
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_static_buffer.hpp>
#include <boost/beast/websocket/detail/frame.hpp>
#include <cstddef>
#include <cstdint>

namespace wsexec {

class ServerFrameHeader {
 public:
  ServerFrameHeader(bool binary, std::size_t payload_size) {
    namespace frame = boost::beast::websocket::detail;
    frame::frame_header header{};
    header.op = binary ? frame::opcode::binary : frame::opcode::text;
    header.fin = true;
    header.mask = false;  // a server's frames are never masked (RFC 6455, 5.1)
    header.len = payload_size;
    boost::beast::flat_static_buffer<14> written;  // 14: Beast's longest header, with a mask
    frame::write(written, header);
    size_ = static_cast<std::uint8_t>(
        boost::asio::buffer_copy(boost::asio::buffer(bytes_), written.data()));
  }

  boost::asio::const_buffer buffer() const { return boost::asio::buffer(bytes_.data(), size_); }

 private:
  // Kept small: a session holds one for the chunk it is sending.
  std::array<unsigned char, 10> bytes_{};  // 10: the longest unmasked header
  std::uint8_t size_ = 0;
};

}  // namespace wsexec
