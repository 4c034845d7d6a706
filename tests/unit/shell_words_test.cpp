#include "core/shell_words.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace wsexec {
namespace {

using Words = std::vector<std::string>;

TEST(ShellWords, BlanksSeparateWordsAndRunsOfThemCountOnce) {
  EXPECT_EQ(split_shell_words("  /usr/bin/cat \t -n  "), (Words{"/usr/bin/cat", "-n"}));
  EXPECT_EQ(split_shell_words(""), Words{});
  EXPECT_EQ(split_shell_words(" \t "), Words{});
}

TEST(ShellWords, QuotesKeepSpacesInsideOneWord) {
  EXPECT_EQ(split_shell_words("printf '%s and %s' \"two words\""),
            (Words{"printf", "%s and %s", "two words"}));
}

TEST(ShellWords, AQuoteOfTheOtherKindIsOrdinaryInsideQuotes) {
  // program_options' split_unix reads the ' as closing the "...".
  EXPECT_EQ(split_shell_words("sh -c \"echo it's here\""), (Words{"sh", "-c", "echo it's here"}));
  EXPECT_EQ(split_shell_words("echo 'say \"hi\"'"), (Words{"echo", "say \"hi\""}));
}

TEST(ShellWords, PiecesNextToEachOtherFormOneWord) {
  EXPECT_EQ(split_shell_words("a'b c'\"d e\"f"), (Words{"ab cd ef"}));
  EXPECT_EQ(split_shell_words("--name='a b'"), (Words{"--name=a b"}));
}

TEST(ShellWords, EmptyQuotesAreAnEmptyWord) {
  EXPECT_EQ(split_shell_words("printf '%s|' '' \"\" x"), (Words{"printf", "%s|", "", "", "x"}));
}

TEST(ShellWords, BackslashOutsideQuotesMakesTheNextCharacterOrdinary) {
  EXPECT_EQ(split_shell_words(R"(two\ words \'q\' \"d\" back\\slash)"),
            (Words{"two words", "'q'", "\"d\"", "back\\slash"}));
}

TEST(ShellWords, InsideDoubleQuotesBackslashEscapesOnlyWhatTheShellLets) {
  // \" \\ \$ \` lose their backslash; \n and \t keep it (printf reads those).
  EXPECT_EQ(split_shell_words(R"("a\"b\\c\$d\`e\nf\tg")"), (Words{"a\"b\\c$d`e\\nf\\tg"}));
}

TEST(ShellWords, InsideSingleQuotesEverythingIsLiteral) {
  EXPECT_EQ(split_shell_words(R"('a\b\'c)"), (Words{"a\\b\\c"}));
}

TEST(ShellWords, NothingIsExpanded) {
  EXPECT_EQ(split_shell_words("echo $HOME ~ * ; | `id` $(id)"),
            (Words{"echo", "$HOME", "~", "*", ";", "|", "`id`", "$(id)"}));
}

TEST(ShellWords, AQuoteLeftOpenIsRefused) {
  EXPECT_THROW(split_shell_words("sh -c 'echo"), std::invalid_argument);
  EXPECT_THROW(split_shell_words("sh -c \"echo"), std::invalid_argument);
  EXPECT_THROW(split_shell_words("sh -c \"echo\\\""), std::invalid_argument);
}

TEST(ShellWords, ATrailingBackslashIsRefused) {
  EXPECT_THROW(split_shell_words("cat \\"), std::invalid_argument);
}

TEST(ShellWords, TheRefusalSaysWhichQuoteIsOpen) {
  try {
    split_shell_words("a 'b");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "a ' quote is not closed");
  }
}

}  // namespace
}  // namespace wsexec
