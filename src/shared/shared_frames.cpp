#include "shared/shared_frames.hpp"

#include <boost/beast/core/flat_static_buffer.hpp>
#include <boost/beast/websocket/detail/frame.hpp>

namespace wsexec {

namespace beast = boost::beast;

std::string encode_frames(const std::vector<std::string>& messages, bool binary) {
  namespace frame = beast::websocket::detail;
  std::size_t total = 0;
  for (const std::string& message : messages)
    total += message.size() + 10;  // 10: the longest header
  std::string frames;
  frames.reserve(total);
  for (const std::string& message : messages) {
    frame::frame_header header{};
    header.op = binary ? frame::opcode::binary : frame::opcode::text;
    header.fin = true;
    header.mask = false;  // a server's frames are never masked (RFC 6455, 5.1)
    header.len = message.size();
    beast::flat_static_buffer<14> encoded;
    frame::write(encoded, header);
    const auto bytes = encoded.data();
    frames.append(static_cast<const char*>(bytes.data()), bytes.size());
    frames.append(message);
  }
  return frames;
}

}  // namespace wsexec
