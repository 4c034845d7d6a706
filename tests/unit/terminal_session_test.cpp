#include "core/terminal_session.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/limits.hpp"

namespace wsexec {
namespace {

constexpr unsigned kMax = limits::kMaxTerminalSide;

TEST(TerminalSizeFromQuery, DefaultsToEightyByTwentyFour) {
  EXPECT_EQ(terminal_size_from_query(""), (TerminalSize{80, 24}));
  EXPECT_EQ(terminal_size_from_query("lang=en&x"), (TerminalSize{80, 24}));
}

TEST(TerminalSizeFromQuery, ReadsColsAndRowsAnywhereInTheQuery) {
  EXPECT_EQ(terminal_size_from_query("cols=120&rows=40"), (TerminalSize{120, 40}));
  EXPECT_EQ(terminal_size_from_query("a=1&rows=50&b&cols=132"), (TerminalSize{132, 50}));
  EXPECT_EQ(terminal_size_from_query("cols=100"), (TerminalSize{100, 24}));
}

TEST(TerminalSizeFromQuery, TheLastOccurrenceCounts) {
  EXPECT_EQ(terminal_size_from_query("cols=10&cols=20"), (TerminalSize{20, 24}));
}

TEST(TerminalSizeFromQuery, GarbageTakesTheDefault) {
  EXPECT_EQ(terminal_size_from_query("cols=abc&rows=-3"), (TerminalSize{80, 24}));
  EXPECT_EQ(terminal_size_from_query("cols=&rows=4x"), (TerminalSize{80, 24}));
  EXPECT_EQ(terminal_size_from_query("cols=+5&rows= 7"), (TerminalSize{80, 24}));
}

TEST(TerminalSizeFromQuery, OutOfRangeIsBounded) {
  EXPECT_EQ(terminal_size_from_query("cols=0&rows=0"), (TerminalSize{1, 1}));
  EXPECT_EQ(terminal_size_from_query("cols=100000&rows=99999999999999999999999"),
            (TerminalSize{kMax, kMax}));
}

TEST(BoundedTerminalSize, CutsEachSideToItsRange) {
  EXPECT_EQ(bounded_terminal_size(0, kMax + 1), (TerminalSize{1, kMax}));
  EXPECT_EQ(bounded_terminal_size(kMax, 1), (TerminalSize{kMax, 1}));
}

TEST(SetTerminalType, PipesGetNoTerm) {
  std::vector<std::string> environment{"PATH=/bin"};
  set_terminal_type(environment, TerminalMode::none);
  EXPECT_EQ(environment, (std::vector<std::string>{"PATH=/bin"}));
}

TEST(SetTerminalType, UnbufferedIsDumbEvenWhenTermWasPassed) {
  std::vector<std::string> environment{"PATH=/bin", "TERM=xterm", "ZZ=1"};
  set_terminal_type(environment, TerminalMode::stdout_only);
  EXPECT_EQ(environment, (std::vector<std::string>{"PATH=/bin", "TERM=dumb", "ZZ=1"}));
}

TEST(SetTerminalType, SessionIsXterm256ColorInSortedPlace) {
  std::vector<std::string> environment{"PATH=/bin", "ZZ=1"};
  set_terminal_type(environment, TerminalMode::session);
  EXPECT_EQ(environment, (std::vector<std::string>{"PATH=/bin", "TERM=xterm-256color", "ZZ=1"}));
}

TEST(SetTerminalType, SessionKeepsAPassedTerm) {
  std::vector<std::string> environment{"TERM=screen"};
  set_terminal_type(environment, TerminalMode::session);
  EXPECT_EQ(environment, (std::vector<std::string>{"TERM=screen"}));
}

}  // namespace
}  // namespace wsexec
