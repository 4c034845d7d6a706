#include "core/subprotocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace wsexec {
namespace {

using Offers = std::vector<std::string_view>;
const std::vector<std::string> kOurs = {"chat.v2", "chat.v1", "json"};

TEST(SubprotocolChoice, OurFirstPreferenceWinsOverTheClientsOrder) {
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"chat.v1, chat.v2"}), 0u);
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"json, chat.v1"}), 1u);
}

TEST(SubprotocolChoice, OffersInSeveralHeadersCountTogether) {
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"other", "json"}), 2u);
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"json", "chat.v2"}), 0u);
}

TEST(SubprotocolChoice, BlanksAroundItemsAndEmptyItemsAreIgnored) {
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{" ,\t json\t, "}), 2u);
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{",,chat.v1"}), 1u);
}

TEST(SubprotocolChoice, NamesMatchExactlyNotByCaseOrPrefix) {
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"JSON"}), std::nullopt);
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"chat"}), std::nullopt);
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"chat.v1x"}), std::nullopt);
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{"chat.v1 x"}), std::nullopt);
}

TEST(SubprotocolChoice, NoOfferOrNoListChoosesNothing) {
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{}), std::nullopt);
  EXPECT_EQ(choose_subprotocol(kOurs, Offers{""}), std::nullopt);
  EXPECT_EQ(choose_subprotocol({}, Offers{"json"}), std::nullopt);
}

TEST(SubprotocolList, ItemsAreTrimmedAndKeptInOrder) {
  EXPECT_EQ(parse_subprotocol_list(" chat.v2 ,chat.v1,, json"),
            (std::vector<std::string>{"chat.v2", "chat.v1", "json"}));
}

std::string refusal_of(const std::string& text) {
  try {
    parse_subprotocol_list(text);
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1);
    return e.what();
  }
  return "";
}

TEST(SubprotocolList, AnEmptyListIsRefusedNamingTheOption) {
  EXPECT_NE(refusal_of("").find("--subprotocol needs at least one"), std::string::npos);
  EXPECT_NE(refusal_of(" , ").find("--subprotocol"), std::string::npos);
}

TEST(SubprotocolList, ANameThatIsNotATokenIsRefusedAndQuoted) {
  for (const std::string bad : {"chat v1", "a;b", "x/y", "\"q\"", "caf\xc3\xa9", "a=b"}) {
    const std::string message = refusal_of("json," + bad);
    EXPECT_NE(message.find("--subprotocol: \"" + bad + "\""), std::string::npos)
        << bad << ": " << message;
  }
}

}  // namespace
}  // namespace wsexec
