#include <gtest/gtest.h>

#include <string>

#include "server/log.hpp"

namespace wsexec {
namespace {

// A shared program's client keeps its context for its whole life, one per
// client among thousands: it must hold its characters, not a doubled
// capacity (docs/performance.md, "third round").
TEST(LogContext, IsMadeToItsExactSize) {
  const std::string context = log::make_context({{"url", "http://127.0.0.1:18883/"},
                                                 {"id", "1796337841842552833"},
                                                 {"remote", "127.0.0.1"},
                                                 {"command", "/usr/bin/cat"},
                                                 {"origin", "http://127.0.0.1"}});
  EXPECT_EQ(context,
            "url:'http://127.0.0.1:18883/' id:'1796337841842552833' remote:'127.0.0.1' "
            "command:'/usr/bin/cat' origin:'http://127.0.0.1'");
  EXPECT_EQ(context.capacity(), context.size());
}

TEST(LogContext, AnAddedPairKeepsItExact) {
  std::string context = log::make_context({{"url", "http://127.0.0.1:18883/"},
                                           {"id", "1796337841842552833"},
                                           {"remote", "127.0.0.1"},
                                           {"command", "/usr/bin/cat"},
                                           {"origin", "http://127.0.0.1"}});
  log::add_to_context(context, "pid", "8917");
  EXPECT_EQ(context,
            "url:'http://127.0.0.1:18883/' id:'1796337841842552833' remote:'127.0.0.1' "
            "command:'/usr/bin/cat' origin:'http://127.0.0.1' pid:'8917'");
  EXPECT_EQ(context.capacity(), context.size());
}

TEST(LogContext, EmptyValuesAndAnEmptyStart) {
  EXPECT_EQ(log::make_context({}), "");
  EXPECT_EQ(log::make_context({{"origin", ""}}), "origin:''");
  std::string context;
  log::add_to_context(context, "pid", "1");
  EXPECT_EQ(context, "pid:'1'");
  log::add_to_context(context, "status", "200");
  EXPECT_EQ(context, "pid:'1' status:'200'");
}

}  // namespace
}  // namespace wsexec
