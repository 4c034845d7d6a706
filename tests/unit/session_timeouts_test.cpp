#include "core/session_timeouts.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace wsexec {
namespace {

using std::chrono::milliseconds;
using TimePoint = std::chrono::steady_clock::time_point;

const TimePoint kStart = TimePoint() + std::chrono::hours(1);

SessionTimeoutPolicy policy(long idle_ms, long lifetime_ms) {
  return {milliseconds(idle_ms), milliseconds(lifetime_ms)};
}

TEST(SessionTimeoutPolicy, AnyIsTrueWhenEitherLimitIsSet) {
  EXPECT_FALSE(policy(0, 0).any());
  EXPECT_TRUE(policy(1, 0).any());
  EXPECT_TRUE(policy(0, 1).any());
}

TEST(SessionTimeouts, IdleExpiresOnlyAfterTheFullIdleTimeWithoutActivity) {
  const auto limits = policy(1000, 0);
  auto check = check_session_timeouts(limits, kStart, kStart, kStart + milliseconds(999));
  EXPECT_EQ(check.expired, SessionTimeout::none);
  EXPECT_EQ(check.next_check, kStart + milliseconds(1000));
  check = check_session_timeouts(limits, kStart, kStart, kStart + milliseconds(1000));
  EXPECT_EQ(check.expired, SessionTimeout::idle);
}

TEST(SessionTimeouts, ActivityPushesTheIdleDeadlineBack) {
  const auto limits = policy(1000, 0);
  const TimePoint active = kStart + milliseconds(700);
  auto check = check_session_timeouts(limits, kStart, active, kStart + milliseconds(1000));
  EXPECT_EQ(check.expired, SessionTimeout::none);
  EXPECT_EQ(check.next_check, active + milliseconds(1000));
  check = check_session_timeouts(limits, kStart, active, active + milliseconds(1000));
  EXPECT_EQ(check.expired, SessionTimeout::idle);
}

TEST(SessionTimeouts, LifetimeExpiresWhateverTheActivity) {
  const auto limits = policy(0, 5000);
  const TimePoint now = kStart + milliseconds(5000);
  auto check = check_session_timeouts(limits, kStart, now, now);
  EXPECT_EQ(check.expired, SessionTimeout::lifetime);
  check = check_session_timeouts(limits, kStart, kStart, kStart + milliseconds(4999));
  EXPECT_EQ(check.expired, SessionTimeout::none);
  EXPECT_EQ(check.next_check, kStart + milliseconds(5000));
}

TEST(SessionTimeouts, WithBothTheEarlierDeadlineIsCheckedNext) {
  const auto limits = policy(1000, 5000);
  // Idle comes first while the session is quiet...
  auto check = check_session_timeouts(limits, kStart, kStart, kStart + milliseconds(10));
  EXPECT_EQ(check.next_check, kStart + milliseconds(1000));
  // ...the lifetime once activity has pushed idle past it.
  const TimePoint active = kStart + milliseconds(4500);
  check = check_session_timeouts(limits, kStart, active, kStart + milliseconds(4600));
  EXPECT_EQ(check.expired, SessionTimeout::none);
  EXPECT_EQ(check.next_check, kStart + milliseconds(5000));
}

TEST(SessionTimeouts, WhenBothHavePassedTheLifetimeIsNamed) {
  const auto limits = policy(1000, 5000);
  const auto check = check_session_timeouts(limits, kStart, kStart, kStart + milliseconds(6000));
  EXPECT_EQ(check.expired, SessionTimeout::lifetime);
}

TEST(SessionTimeouts, ActivityStampedBeforeTheStartCountsFromTheStart) {
  const auto limits = policy(1000, 0);
  const auto check = check_session_timeouts(limits, kStart, kStart - milliseconds(5000),
                                            kStart + milliseconds(500));
  EXPECT_EQ(check.expired, SessionTimeout::none);
  EXPECT_EQ(check.next_check, kStart + milliseconds(1000));
}

TEST(SessionTimeoutReason, NamesEachTimeout) {
  EXPECT_EQ(session_timeout_reason(SessionTimeout::idle), "idle");
  EXPECT_EQ(session_timeout_reason(SessionTimeout::lifetime), "lifetime");
  EXPECT_EQ(session_timeout_reason(SessionTimeout::none), "");
}

}  // namespace
}  // namespace wsexec
