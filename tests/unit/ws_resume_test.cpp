// Which upgrades become resumable sessions (subprotocol wsexec.v1).
#include "core/ws_resume.hpp"

#include <gtest/gtest.h>

namespace wsexec {
namespace {

Config resuming() {
  Config config;
  config.sse = true;
  config.sse_resume_ms = 5000;
  return config;
}

TEST(WsResume, AClientOfferingWsexecV1ToAResumingServerGetsAResumableSession) {
  EXPECT_TRUE(wants_resumable_websocket(resuming(), {"wsexec.v1"}));
  EXPECT_TRUE(wants_resumable_websocket(resuming(), {"chat, wsexec.v1"}));
  EXPECT_TRUE(wants_resumable_websocket(resuming(), {"chat", "wsexec.v1"}));
}

TEST(WsResume, AClientThatDoesNotOfferItSeesNoDifference) {
  EXPECT_FALSE(wants_resumable_websocket(resuming(), {}));
  EXPECT_FALSE(wants_resumable_websocket(resuming(), {"chat"}));
  EXPECT_FALSE(wants_resumable_websocket(resuming(), {"wsexec.v2, WSEXEC.V1"}));
}

TEST(WsResume, AServerThatKeepsNoSessionsServesWsexecV1AsAPlainWebSocket) {
  Config no_resume = resuming();
  no_resume.sse_resume_ms = 0;
  EXPECT_FALSE(wants_resumable_websocket(no_resume, {"wsexec.v1"}));
  Config no_sse;
  EXPECT_FALSE(wants_resumable_websocket(no_sse, {"wsexec.v1"}));
}

// A resumable session starts a program of its own; a shared program's
// client must join the one program instead.
TEST(WsResume, AClientOfASharedProgramJoinsItAsAPlainWebSocket) {
  Config shared = resuming();
  shared.shared_mode = SharedMode::broadcast;
  EXPECT_FALSE(wants_resumable_websocket(shared, {"wsexec.v1"}));
  shared.shared_mode = SharedMode::addressed;
  EXPECT_FALSE(wants_resumable_websocket(shared, {"wsexec.v1"}));
}

}  // namespace
}  // namespace wsexec
