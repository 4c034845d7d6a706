// The SSE transport's wire format (docs/sse-protocol.md).
#include "core/sse_protocol.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace wsexec {
namespace {

SseRequestHead get_with_accept(std::string_view accept) {
  SseRequestHead head;
  head.is_get = true;
  head.accept = accept;
  head.target = "/chat";
  return head;
}

TEST(SseRequests, AGetAcceptingAnEventStreamOpensASession) {
  EXPECT_EQ(classify_sse_request(get_with_accept("text/event-stream")), SseRequestKind::open);
  EXPECT_EQ(classify_sse_request(get_with_accept("text/html, Text/Event-Stream;q=0.9")),
            SseRequestKind::open);
}

TEST(SseRequests, OtherGetsAndUpgradesAreNotOurs) {
  EXPECT_EQ(classify_sse_request(get_with_accept("text/html")), SseRequestKind::none);
  SseRequestHead no_accept = get_with_accept("");
  no_accept.accept.reset();
  EXPECT_EQ(classify_sse_request(no_accept), SseRequestKind::none);
  SseRequestHead upgrade = get_with_accept("text/event-stream");
  upgrade.websocket_upgrade = true;
  EXPECT_EQ(classify_sse_request(upgrade), SseRequestKind::none);
}

TEST(SseRequests, APostIsOursOnlyWithATokenParameterOrHeader) {
  SseRequestHead post;
  post.is_post = true;
  post.target = "/chat";
  EXPECT_EQ(classify_sse_request(post), SseRequestKind::none);
  post.target = "/chat?wsexec_session=abc";
  EXPECT_EQ(classify_sse_request(post), SseRequestKind::post);
  post.target = "/chat?x=1";
  post.session_header = "abc";
  EXPECT_EQ(classify_sse_request(post), SseRequestKind::post);
  post.session_header = "";  // present but empty: ours, and answered 400
  EXPECT_EQ(classify_sse_request(post), SseRequestKind::post);
}

TEST(SseQueryParameters, TheServersParametersAreFoundAmongOthers) {
  const SseQuery query = parse_sse_query("/a?x=1&wsexec_session=f00d&wsexec_last_event_id=42&y");
  ASSERT_TRUE(query.token);
  EXPECT_EQ(*query.token, "f00d");
  ASSERT_TRUE(query.last_event_id);
  EXPECT_EQ(*query.last_event_id, "42");
  EXPECT_FALSE(parse_sse_query("/a?xwsexec_session=1&wsexec_sessionx=2").token);
  EXPECT_FALSE(parse_sse_query("/a").token);
  EXPECT_EQ(parse_sse_query("/a?wsexec_session").token.value_or("unset"), "");
}

TEST(SseEventIds, OnlyPlainDecimalNumbersAreIds) {
  EXPECT_EQ(parse_event_id("0"), 0u);
  EXPECT_EQ(parse_event_id("42"), 42u);
  EXPECT_EQ(parse_event_id("9999999999999999999"), 9999999999999999999ull);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "12345678901234567890"}) {
    EXPECT_FALSE(parse_event_id(bad)) << bad;
  }
}

TEST(SsePostUrl, IsThePathWithTheTokenAndWithoutTheQuery) {
  EXPECT_EQ(sse_post_url("/chat/room?user=a", "f00d"), "/chat/room?wsexec_session=f00d");
}

TEST(SseEvents, TheSessionEventCarriesTokenPostUrlAndResumeWindowAsJson) {
  const std::string event = sse_session_event("f00d", "/a?wsexec_session=f00d", 5000);
  const std::string prefix = "event: session\nid: 0\ndata: ";
  ASSERT_EQ(event.rfind(prefix, 0), 0u) << event;
  ASSERT_EQ(event.substr(event.size() - 2), "\n\n");
  const auto data =
      nlohmann::json::parse(event.substr(prefix.size(), event.size() - prefix.size() - 2));
  EXPECT_EQ(data["token"], "f00d");
  EXPECT_EQ(data["post"], "/a?wsexec_session=f00d");
  EXPECT_EQ(data["resume_ms"], 5000);
}

TEST(SseEvents, ASessionEventWithBytesThatAreNotUtf8IsStillMade) {
  EXPECT_NO_THROW(sse_session_event("f00d", "/\x92?wsexec_session=f00d", 0));
}

TEST(SseEvents, ATextMessageIsOneDataLinePerLine) {
  EXPECT_EQ(sse_message_event(7, "hello", false), "id: 7\ndata: hello\n\n");
  EXPECT_EQ(sse_message_event(8, "", false), "id: 8\ndata: \n\n");
  EXPECT_EQ(sse_message_event(9, "a\nb\r\nc\rd", false),
            "id: 9\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(sse_message_event(10, "a\n", false), "id: 10\ndata: a\ndata: \n\n");
}

TEST(SseEvents, ABinaryMessageIsBase64UnderItsOwnEventName) {
  EXPECT_EQ(sse_message_event(3, std::string("\x00\x01\x02\xff", 4), true),
            "event: binary\nid: 3\ndata: AAEC/w==\n\n");
}

TEST(SseEvents, TheCloseEventCarriesCodeAndReason) {
  EXPECT_EQ(sse_close_event(4, 1000, "exit 0"),
            "event: close\nid: 4\ndata: {\"code\":1000,\"reason\":\"exit 0\"}\n\n");
  // Not valid UTF-8: replaced, never an exception.
  EXPECT_NO_THROW(sse_close_event(5, 1000, "\xff"));
}

}  // namespace
TEST(SseEvents, ALoggedEventIsWrittenInTheStreamsFormByItsKind) {
  const std::string data = session_data("f00d", "/a?wsexec_session=f00d", 0);
  EXPECT_EQ(sse_event_text({0, SessionEvent::Kind::session, data, 0}),
            sse_session_event("f00d", "/a?wsexec_session=f00d", 0));
  EXPECT_EQ(sse_event_text({7, SessionEvent::Kind::text, "hello", 0}), "id: 7\ndata: hello\n\n");
  EXPECT_EQ(sse_event_text({3, SessionEvent::Kind::binary, std::string("\x00\x01\x02\xff", 4), 0}),
            "event: binary\nid: 3\ndata: AAEC/w==\n\n");
  EXPECT_EQ(sse_event_text({4, SessionEvent::Kind::close, "exit 0", 1000}),
            sse_close_event(4, 1000, "exit 0"));
}

}  // namespace wsexec
