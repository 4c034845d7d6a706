#include "core/websocket_key.hpp"

#include <gtest/gtest.h>

namespace wsexec {
namespace {

TEST(WebSocketKey, TheKeyFromRfc6455IsValid) {
  EXPECT_TRUE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
}

TEST(WebSocketKey, KeysOfEveryFinalCharacterThatEncodesSixteenBytesAreValid) {
  for (const char* key : {"AAAAAAAAAAAAAAAAAAAAAA==", "AAAAAAAAAAAAAAAAAAAAAQ==",
                          "/////////////////////g==", "+++++++++++++++++++++w=="}) {
    EXPECT_TRUE(is_valid_websocket_key(key)) << key;
  }
}

TEST(WebSocketKey, SurroundingWhiteSpaceIsNotPartOfTheKey) {
  EXPECT_TRUE(is_valid_websocket_key("  dGhlIHNhbXBsZSBub25jZQ==\t"));
}

TEST(WebSocketKey, AKeyThatDecodesToFewerOrMoreThanSixteenBytesIsRefused) {
  EXPECT_FALSE(is_valid_websocket_key(""));
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZQ=="));              // 11 bytes
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZSE="));      // 17 bytes
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ"));        // no padding
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ==AAAA"));  // 19 bytes
}

TEST(WebSocketKey, CharactersOutsideTheBase64AlphabetAreRefused) {
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25j*Q=="));
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25j ZQ=="));
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=!"));
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZ==="));  // '=' inside the data
}

TEST(WebSocketKey, AFinalCharacterWithStrayLowBitsIsNotAnEncodingOfSixteenBytes) {
  EXPECT_FALSE(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZR=="));
  EXPECT_FALSE(is_valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAB=="));
}

}  // namespace
}  // namespace wsexec
