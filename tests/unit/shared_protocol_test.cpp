#include "core/shared_protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wsexec {
namespace {

TEST(SharedProtocolEvents, AreOneJsonLineEach) {
  EXPECT_EQ(open_event({"7", "::1", "http://h/chat", "http://h"}),
            R"({"event":"open","id":"7","remote":"::1","url":"http://h/chat","origin":"http://h"})"
            "\n");
  EXPECT_EQ(message_event("7", "say \"hi\"\n", false),
            R"({"event":"message","id":"7","data":"say \"hi\"\n"})"
            "\n");
  EXPECT_EQ(message_event("7", std::string("\x00\xff", 2), true),
            R"({"event":"message","id":"7","data_base64":"AP8="})"
            "\n");
  EXPECT_EQ(close_event("7", 1001), R"({"event":"close","id":"7","code":1001})"
                                    "\n");
}

TEST(SharedProtocolEvents, StrayBytesInClientFactsStillMakeValidJson) {
  const std::string line = open_event({"1", "r", "http://h/\xff", ""});
  EXPECT_NE(line.find("\xEF\xBF\xBD"), std::string::npos) << line;  // U+FFFD
}

TEST(SharedProtocolCommands, DataAloneIsForEveryone) {
  const auto command = parse_program_line(R"({"data":"hello all"})");
  const auto* send = std::get_if<SendCommand>(&command);
  ASSERT_NE(send, nullptr);
  EXPECT_TRUE(send->to_everyone);
  EXPECT_EQ(send->data, "hello all");
  EXPECT_FALSE(send->binary);
}

TEST(SharedProtocolCommands, ToNamesOneOrSeveralClients) {
  const auto one = parse_program_line(R"({"to":"3","data":"psst"})");
  ASSERT_TRUE(std::holds_alternative<SendCommand>(one));
  EXPECT_FALSE(std::get<SendCommand>(one).to_everyone);
  EXPECT_EQ(std::get<SendCommand>(one).to, (std::vector<std::string>{"3"}));
  const auto some = parse_program_line(R"({"to":["3","4"],"data":"psst"})");
  ASSERT_TRUE(std::holds_alternative<SendCommand>(some));
  EXPECT_EQ(std::get<SendCommand>(some).to, (std::vector<std::string>{"3", "4"}));
}

TEST(SharedProtocolCommands, Base64DataIsDecoded) {
  const auto command = parse_program_line(R"({"data_base64":"AP8="})");
  ASSERT_TRUE(std::holds_alternative<SendCommand>(command));
  EXPECT_EQ(std::get<SendCommand>(command).data, std::string("\x00\xff", 2));
  EXPECT_TRUE(std::get<SendCommand>(command).binary);
}

TEST(SharedProtocolCommands, CloseTakesAnOptionalCodeAndReason) {
  const auto plain = parse_program_line(R"({"close":"9"})");
  ASSERT_TRUE(std::holds_alternative<CloseCommand>(plain));
  EXPECT_EQ(std::get<CloseCommand>(plain).id, "9");
  EXPECT_EQ(std::get<CloseCommand>(plain).code, 1000);
  const auto kick = parse_program_line(R"({"close":"9","code":4000,"reason":"kicked"})");
  ASSERT_TRUE(std::holds_alternative<CloseCommand>(kick));
  EXPECT_EQ(std::get<CloseCommand>(kick).code, 4000);
  EXPECT_EQ(std::get<CloseCommand>(kick).reason, "kicked");
}

TEST(SharedProtocolCommands, AnythingElseIsAnError) {
  for (const char* line :
       {"hello", "", "[1,2]", "\"data\"", R"({"to":"3"})", R"({"data":3})",
        R"({"data":"x","data_base64":"eA=="})", R"({"data_base64":"not base64!"})",
        R"({"to":[1],"data":"x"})", R"({"close":3})", R"({"close":"3","code":1005})",
        R"({"close":"3","code":5000})", R"({"data":"x")"}) {
    EXPECT_TRUE(std::holds_alternative<ProtocolError>(parse_program_line(line))) << line;
  }
}

TEST(SharedProtocolBase64, RoundTripsEveryLengthAndRefusesBadText) {
  std::string bytes;
  for (int length = 0; length < 10; ++length) {
    const std::string encoded = base64_encode(bytes);
    std::string decoded;
    ASSERT_TRUE(base64_decode(encoded, decoded)) << encoded;
    EXPECT_EQ(decoded, bytes);
    bytes.push_back(static_cast<char>(250 - length * 7));
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string ignored;
  for (const char* bad : {"Zm9", "Zm=v", "Z===", "Zm9v!mFy"}) {
    EXPECT_FALSE(base64_decode(bad, ignored)) << bad;
  }
}

}  // namespace
}  // namespace wsexec
