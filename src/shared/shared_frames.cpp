#include "shared/shared_frames.hpp"

#include "websocket/frame_header.hpp"

namespace wsexec {

std::string encode_frames(const std::vector<std::string>& messages, bool binary) {
  std::size_t total = 0;
  for (const std::string& message : messages)
    total += message.size() + 10;  // 10: the longest header
  std::string frames;
  frames.reserve(total);
  for (const std::string& message : messages) {
    const ServerFrameHeader header(binary, message.size());
    const boost::asio::const_buffer bytes = header.buffer();
    frames.append(static_cast<const char*>(bytes.data()), bytes.size());
    frames.append(message);
  }
  return frames;
}

}  // namespace wsexec
