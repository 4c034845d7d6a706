// SseOutbox keeps no stream alive: the stream owns its waker, whose timer
// belongs to the stream's worker. An outbox that held it could destroy it
// last, with its session on another worker, after the stream's worker and
// its timer service were gone (a heap use after free at the server's exit,
// found under ASan).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>

#include "sse/sse_outbox.hpp"

namespace wsexec {
namespace {

TEST(SseOutboxWaker, TheOutboxDoesNotKeepAStreamsWakerAlive) {
  boost::asio::io_context stream_worker;
  SseOutbox outbox(1024, [] {});
  auto waker = std::make_shared<SseStreamWaker>(stream_worker.get_executor());
  const std::weak_ptr<SseStreamWaker> watch = waker;
  ASSERT_EQ(outbox.attach(waker, std::nullopt), SseOutbox::Attach::attached);
  EXPECT_TRUE(outbox.attached());
  EXPECT_FALSE(outbox.take_events(*waker).replaced)
      << "the attached stream is known while it lives";

  stream_worker.poll();  // the wake-ups attach() posted to the stream's worker, delivered
  waker.reset();         // the stream's end, without a detach (its worker shutting down)
  EXPECT_TRUE(watch.expired()) << "the outbox kept the waker";
  EXPECT_FALSE(outbox.attached());
  outbox.publish_message("after the stream went", false);  // wakes nobody, touches nothing freed
}

TEST(SseOutboxWaker, ANewerStreamReplacesTheAttachedOne) {
  boost::asio::io_context stream_worker;
  SseOutbox outbox(1024, [] {});
  auto first = std::make_shared<SseStreamWaker>(stream_worker.get_executor());
  auto second = std::make_shared<SseStreamWaker>(stream_worker.get_executor());
  ASSERT_EQ(outbox.attach(first, std::nullopt), SseOutbox::Attach::attached);
  ASSERT_EQ(outbox.attach(second, std::nullopt), SseOutbox::Attach::attached);
  EXPECT_TRUE(outbox.take_events(*first).replaced);
  EXPECT_FALSE(outbox.take_events(*second).replaced);
  EXPECT_FALSE(outbox.detach(*first));
  EXPECT_TRUE(outbox.detach(*second));
  EXPECT_FALSE(outbox.attached());
}

}  // namespace
}  // namespace wsexec
