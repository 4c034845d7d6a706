// Resume over SSE (--resumems, --resumebuffer; docs/sse-protocol.md): a
// client that comes back gets every event it missed, then the live stream,
// nothing lost or repeated; what cannot be resumed is 404.
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "harness.hpp"
#include "sse_client.hpp"

namespace wsexec_test {
namespace {

int post(std::uint16_t port, const std::string& target, const std::string& body) {
  PlainHttpRequest request;
  request.method = "POST";
  request.target = target;
  request.body = body;
  return plain_http(port, request).status;
}

void expect_event(SseTestStream& stream, const std::string& id, const std::string& data) {
  const auto event = stream.next();
  ASSERT_TRUE(event) << "waiting for event " << id;
  EXPECT_EQ(event->name, "message");
  EXPECT_EQ(event->id.value_or(""), id);
  EXPECT_EQ(event->data, data);
}

std::string resume_target(const Session& session) {
  return "/r?wsexec_session=" + session.token;
}

TEST(SseResume, AClientThatComesBackGetsWhatItMissedThenTheLiveStream) {
  ServerProcess server({"--sse", "--resumems=10000", "cat"});
  Session session;
  {
    SseTestStream first(server.port(), "/r");
    session = session_of(first);
    ASSERT_EQ(post(server.port(), session.post_url, "one"), 204);
    expect_event(first, "1", "one");
  }  // the connection breaks
  ASSERT_EQ(post(server.port(), session.post_url, "two"), 204);
  ASSERT_EQ(post(server.port(), session.post_url, "three"), 204);
  SseTestStream again(server.port(), resume_target(session), {{"Last-Event-ID", "1"}});
  ASSERT_EQ(again.status(), 200) << again.head();
  expect_event(again, "2", "two");  // no session event first, nothing repeated
  expect_event(again, "3", "three");
  ASSERT_EQ(post(server.port(), session.post_url, "four"), 204);
  expect_event(again, "4", "four");
  EXPECT_TRUE(server.wait_for_log_line({"RESUME after event 1", session.token.substr(0, 8)}));
}

TEST(SseResume, AFreshEventSourceGivesTheIdInTheQuery) {
  ServerProcess server({"--sse", "--resumems=10000", "cat"});
  Session session;
  {
    SseTestStream first(server.port(), "/r");
    session = session_of(first);
    ASSERT_EQ(post(server.port(), session.post_url, "one"), 204);
    expect_event(first, "1", "one");
  }
  SseTestStream again(server.port(), resume_target(session) + "&wsexec_last_event_id=0");
  ASSERT_EQ(again.status(), 200) << again.head();
  expect_event(again, "1", "one");
}

TEST(SseResume, ASecondStreamReplacesTheFirst) {
  ServerProcess server({"--sse", "--resumems=10000", "cat"});
  SseTestStream first(server.port(), "/r");
  const Session session = session_of(first);
  SseTestStream second(server.port(), resume_target(session), {{"Last-Event-ID", "0"}});
  ASSERT_EQ(second.status(), 200) << second.head();
  EXPECT_TRUE(first.connection().wait_closed(5000ms)) << "the replaced stream stays open";
  ASSERT_EQ(post(server.port(), session.post_url, "live"), 204);
  expect_event(second, "1", "live");
}

TEST(SseResume, WhatCannotBeResumedIs404) {
  // About 120 KB of events, more than the 64 KiB kept once sent.
  ServerProcess server({"--sse", "--resumems=10000", "--resumebuffer=65536", "sh", "-c",
                        "i=0; while [ $i -lt 2000 ]; do "
                        "echo \"line $i of padding padding padding padding padding\"; "
                        "i=$((i+1)); done; exec cat"});
  Session session;
  {
    SseTestStream first(server.port(), "/r");
    session = session_of(first);
    for (int i = 1; i <= 2000; ++i) {
      const auto event = first.next();
      ASSERT_TRUE(event) << "event " << i;
    }
  }
  const auto status_for = [&](const std::string& target,
                              std::vector<std::pair<std::string, std::string>> headers) {
    SseTestStream attempt(server.port(), target, std::move(headers));
    return attempt.status();
  };
  EXPECT_EQ(status_for(resume_target(session), {{"Last-Event-ID", "1"}}), 404);     // dropped
  EXPECT_EQ(status_for(resume_target(session), {{"Last-Event-ID", "2001"}}), 404);  // never sent
  EXPECT_EQ(status_for("/r?wsexec_session=" + std::string(32, 'a'), {{"Last-Event-ID", "0"}}), 404);
  EXPECT_EQ(status_for(resume_target(session), {{"Last-Event-ID", "x1"}}), 400);
  // The newest events are still held.
  SseTestStream again(server.port(), resume_target(session), {{"Last-Event-ID", "1999"}});
  ASSERT_EQ(again.status(), 200);
  expect_event(again, "2000", "line 1999 of padding padding padding padding padding");
}

TEST(SseResume, AClientThatDoesNotComeBackEndsTheSessionAfterTheWindow) {
  ServerProcess server({"--sse", "--resumems=300", "cat"});
  Session session;
  {
    SseTestStream first(server.port(), "/r");
    session = session_of(first);
  }
  EXPECT_EQ(post(server.port(), session.post_url, "still here"), 204);
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'sse'"}, 5000ms))
      << server.diagnostics();
  EXPECT_TRUE(children_of(server.pid()).empty());
  EXPECT_EQ(post(server.port(), session.post_url, "too late"), 404);
}

TEST(SseResume, OutputPastTheBufferWhileNobodyIsAttachedEndsTheSession) {
  ServerProcess server({"--sse", "--resumems=30000", "--resumebuffer=65536", "sh", "-c",
                        "read go; i=0; while [ $i -lt 3000 ]; do "
                        "echo \"line $i of padding padding padding padding padding\"; "
                        "i=$((i+1)); done; exec sleep 30"});
  Session session;
  {
    SseTestStream first(server.port(), "/r");
    session = session_of(first);
  }
  ASSERT_EQ(post(server.port(), session.post_url, "go"), 204);
  EXPECT_TRUE(server.wait_for_log_line({"output past --resumebuffer"}, 5000ms))
      << server.diagnostics();
  EXPECT_TRUE(server.wait_for_log_line({"DISCONNECT", "transport:'sse'"}, 5000ms));
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 5000ms));
  SseTestStream late(server.port(), resume_target(session), {{"Last-Event-ID", "0"}});
  EXPECT_EQ(late.status(), 404);
}

}  // namespace
}  // namespace wsexec_test
