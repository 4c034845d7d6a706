// ServerFrameHeader: the bytes Beast's frame writer gives for an unmasked,
// final server frame, in each of RFC 6455's three length encodings (5.2).
#include "websocket/frame_header.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wsexec {
namespace {

std::string bytes_of(const ServerFrameHeader& header) {
  const auto buffer = header.buffer();
  return std::string(static_cast<const char*>(buffer.data()), buffer.size());
}

TEST(ServerFrameHeader, UsesTheShortestLengthEncodingAndNoMask) {
  EXPECT_EQ(bytes_of(ServerFrameHeader(true, 0)), std::string("\x82\x00", 2));
  EXPECT_EQ(bytes_of(ServerFrameHeader(true, 125)), std::string("\x82\x7d", 2));
  EXPECT_EQ(bytes_of(ServerFrameHeader(false, 126)), std::string("\x81\x7e\x00\x7e", 4));
  EXPECT_EQ(bytes_of(ServerFrameHeader(true, 65535)), std::string("\x82\x7e\xff\xff", 4));
  EXPECT_EQ(bytes_of(ServerFrameHeader(true, 65536)),
            std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

}  // namespace
}  // namespace wsexec
