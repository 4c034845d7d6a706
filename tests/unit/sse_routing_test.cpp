// An SSE request (RequestHeadFacts::event_stream) is routed as an upgrade
// is: the same origin policy and endpoints, without the WebSocket key.
#include <gtest/gtest.h>

#include "core/origin_policy.hpp"
#include "core/request_router.hpp"

namespace wsexec {
namespace {

using Action = RouteDecision::Action;

RequestHeadFacts event_stream(HttpMethod method) {
  RequestHeadFacts request;
  request.method = method;
  request.target = "/chat?x=1";
  request.host = "example.com";
  request.event_stream = true;
  return request;
}

TEST(SseRouting, AnEventStreamOrAPostGoesToTheCommandWithoutAWebSocketKey) {
  RouterSettings settings;
  settings.has_command = true;
  EXPECT_EQ(route_request(event_stream(HttpMethod::get), settings).action, Action::upgrade_command);
  EXPECT_EQ(route_request(event_stream(HttpMethod::other), settings).action,
            Action::upgrade_command);
  // The same requests without the flag are plain ones: nothing serves them.
  RequestHeadFacts plain = event_stream(HttpMethod::get);
  plain.event_stream = false;
  EXPECT_EQ(route_request(plain, settings).status, 404u);
}

TEST(SseRouting, AForeignOriginIsRefusedAsForAnUpgrade) {
  OriginPolicy policy;
  policy.allowed = parse_origin_list("good.example");
  RouterSettings settings;
  settings.has_command = true;
  settings.origin_policy = &policy;
  RequestHeadFacts request = event_stream(HttpMethod::other);
  request.origin = "http://evil.example";
  const RouteDecision refused = route_request(request, settings);
  EXPECT_EQ(refused.action, Action::refuse);
  EXPECT_EQ(refused.status, 403u);
  request.origin = "http://good.example";
  EXPECT_EQ(route_request(request, settings).action, Action::upgrade_command);
}

}  // namespace
}  // namespace wsexec
