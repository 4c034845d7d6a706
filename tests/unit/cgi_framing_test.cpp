#include "core/cgi_framing.hpp"

#include <gtest/gtest.h>

namespace wsexec {
namespace {

using Body = CgiFraming::Body;

TEST(CgiFraming, ScriptContentLengthIsKeptEvenWhenTheWholeBodyIsKnown) {
  CgiFramingFacts facts;
  facts.script_length = 5;
  facts.complete_body_length = 11;
  const CgiFraming framing = cgi_framing(facts);
  EXPECT_EQ(framing.body, Body::script_length);
  EXPECT_EQ(framing.content_length, 5u);
  EXPECT_TRUE(framing.keep_alive);
}

TEST(CgiFraming, CompleteBodyGoesOutWithItsLengthForBothVersions) {
  for (unsigned version : {10u, 11u}) {
    CgiFramingFacts facts;
    facts.http_version = version;
    facts.complete_body_length = 42;
    const CgiFraming framing = cgi_framing(facts);
    EXPECT_EQ(framing.body, Body::whole) << version;
    EXPECT_EQ(framing.content_length, 42u) << version;
    EXPECT_TRUE(framing.keep_alive) << version;
  }
}

TEST(CgiFraming, EmptyCompleteBodyHasLengthZero) {
  CgiFramingFacts facts;
  facts.complete_body_length = 0;
  const CgiFraming framing = cgi_framing(facts);
  EXPECT_EQ(framing.body, Body::whole);
  EXPECT_EQ(framing.content_length, 0u);
}

TEST(CgiFraming, StreamingToHttp11IsChunkedAndKeepsTheConnection) {
  CgiFramingFacts facts;
  const CgiFraming framing = cgi_framing(facts);
  EXPECT_EQ(framing.body, Body::chunked);
  EXPECT_TRUE(framing.keep_alive);
}

TEST(CgiFraming, StreamingToHttp10EndsByClosingTheConnection) {
  CgiFramingFacts facts;
  facts.http_version = 10;
  const CgiFraming framing = cgi_framing(facts);
  EXPECT_EQ(framing.body, Body::until_close);
  EXPECT_FALSE(framing.keep_alive);
}

TEST(CgiFraming, HeadWithUnknownLengthHasNoFramingAndKeepsTheConnection) {
  for (unsigned version : {10u, 11u}) {
    CgiFramingFacts facts;
    facts.head = true;
    facts.http_version = version;
    const CgiFraming framing = cgi_framing(facts);
    EXPECT_EQ(framing.body, Body::none) << version;
    EXPECT_TRUE(framing.keep_alive) << version;
  }
}

TEST(CgiFraming, HeadWithAKnownLengthAnnouncesIt) {
  CgiFramingFacts facts;
  facts.head = true;
  facts.complete_body_length = 7;
  const CgiFraming framing = cgi_framing(facts);
  EXPECT_EQ(framing.body, Body::whole);
  EXPECT_EQ(framing.content_length, 7u);
}

TEST(CgiFraming, ClientThatAsksToCloseIsNotKeptWhateverTheFraming) {
  CgiFramingFacts facts;
  facts.client_keep_alive = false;
  EXPECT_FALSE(cgi_framing(facts).keep_alive);
  facts.script_length = 3;
  EXPECT_FALSE(cgi_framing(facts).keep_alive);
}

}  // namespace
}  // namespace wsexec
