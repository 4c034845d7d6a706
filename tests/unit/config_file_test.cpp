// --config=FILE (core/config_file): the file's lines, its command, how the
// command line wins over it, and every refusal with the file and line.
#include "core/config_file.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"

namespace wsexec {
namespace {

using Args = std::vector<std::string>;
using namespace std::string_literals;

const std::string kPath = "/etc/wsexec/test.conf";

// `args` after --config=kPath, with `text` as the file's contents.
CommandLine parse_with_file(const std::string& text, const Args& args = {}) {
  Args all{"--config=" + kPath};
  all.insert(all.end(), args.begin(), args.end());
  return parse_command_line(all, [&text](const std::string& path) {
    EXPECT_EQ(path, kPath);
    return text;
  });
}

Config config_from_file(const std::string& text, const Args& args = {}) {
  const CommandLine line = parse_with_file(text, args);
  EXPECT_EQ(line.action, StartupAction::serve);
  return line.config;
}

struct Failure {
  int exit_status;
  std::string message;
};

std::optional<Failure> failure_with_file(const std::string& text, const Args& args = {}) {
  try {
    parse_with_file(text, args);
  } catch (const ConfigError& e) {
    return Failure{e.exit_status(), e.what()};
  }
  return std::nullopt;
}

// Refused with this exit status, and a message that starts with the file
// and the line ("/etc/wsexec/test.conf:3: ") and contains `naming`.
void expect_refused_at(const std::string& text, std::size_t line, int exit_status,
                       const std::string& naming, const Args& args = {}) {
  SCOPED_TRACE(text);
  const auto failure = failure_with_file(text, args);
  ASSERT_TRUE(failure.has_value()) << "accepted";
  EXPECT_EQ(failure->exit_status, exit_status) << failure->message;
  const std::string place = kPath + ":" + std::to_string(line) + ": ";
  EXPECT_TRUE(failure->message.starts_with(place))
      << "does not start with " << place << ": " << failure->message;
  EXPECT_NE(failure->message.find(naming), std::string::npos)
      << "does not name " << naming << ": " << failure->message;
}

// ---------------------------------------------------------------- reading

TEST(ConfigFile, EveryKindOfOptionIsReadFromItsLine) {
  const Config c = config_from_file(
      "port = 8080\n"
      "address = 127.0.0.1\n"
      "address = [::1]\n"
      "passenv = HOME,LANG\n"
      "maxforks = 7\n"
      "maxframesize = 4096\n"
      "closems = 300\n"
      "pingms = 1500\n"
      "loglevel = debug\n"
      "origin = example.com\n"
      "header = X-A: b c\n"
      "header = X-B: d\n"
      "header-ws = X-W: 1\n"
      "header-http = X-H: 2\n"
      "binary = true\n"
      "reverselookup\n"
      "command = /usr/bin/cat\n");
  EXPECT_EQ(c.port, 8080u);
  EXPECT_EQ(c.addresses, (Args{"127.0.0.1", "::1"}));
  EXPECT_EQ(c.passenv, (Args{"HOME", "LANG"}));
  EXPECT_EQ(c.max_forks, 7u);
  EXPECT_EQ(c.max_frame_size, 4096u);
  EXPECT_EQ(c.close_ms, 300u);
  EXPECT_EQ(c.ping_ms, 1500u);
  EXPECT_EQ(c.log_level, LogLevel::debug);
  ASSERT_EQ(c.origin_policy.allowed.size(), 1u);
  EXPECT_EQ(c.origin_policy.allowed[0].host, "example.com");
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.headers[0].name, "X-A");
  EXPECT_EQ(c.headers[0].value, "b c");
  EXPECT_EQ(c.headers[1].name, "X-B");
  ASSERT_EQ(c.headers_ws.size(), 1u);
  EXPECT_EQ(c.headers_ws[0].value, "1");
  ASSERT_EQ(c.headers_http.size(), 1u);
  EXPECT_EQ(c.headers_http[0].value, "2");
  EXPECT_TRUE(c.binary);
  EXPECT_TRUE(c.reverse_lookup);
  EXPECT_EQ(c.command, "/usr/bin/cat");
  EXPECT_TRUE(c.command_args.empty());
}

TEST(ConfigFile, TheCommandIsSplitLikeAShellSplitsIt) {
  const Config c =
      config_from_file("command = /usr/bin/printf \"%s|%s\\n\" \"two words\" 'it''s' ''\n");
  EXPECT_EQ(c.command, "/usr/bin/printf");
  EXPECT_EQ(c.command_args, (Args{"%s|%s\\n", "two words", "its", ""}));
}

TEST(ConfigFile, AValueIsTheRestOfTheLineWithHashesQuotesAndEqualsSigns) {
  const Config c = config_from_file(
      "header = X-Tag: #1 \"quoted\" a=b\n"
      "command = cat\n");
  ASSERT_EQ(c.headers.size(), 1u);
  EXPECT_EQ(c.headers[0].value, "#1 \"quoted\" a=b");
}

TEST(ConfigFile, CommentsBlankLinesAndBlanksAroundNamesAndValuesAreSkipped) {
  const Config c = config_from_file(
      "# the echo server\n"
      "\n"
      "   # an indented comment\n"
      " \t \n"
      "\tport\t=\t8080  \n"
      "address=127.0.0.1\n"
      "command =   cat   -n  \n");
  EXPECT_EQ(c.port, 8080u);
  EXPECT_EQ(c.addresses, (Args{"127.0.0.1"}));
  EXPECT_EQ(c.command, "cat");
  EXPECT_EQ(c.command_args, (Args{"-n"}));
}

TEST(ConfigFile, WindowsLineEndsAByteOrderMarkAndNoFinalNewlineAreRead) {
  const Config c = config_from_file("\xEF\xBB\xBFport = 8080\r\n# c\r\n\r\ncommand = cat -n");
  EXPECT_EQ(c.port, 8080u);
  EXPECT_EQ(c.command, "cat");
  EXPECT_EQ(c.command_args, (Args{"-n"}));
}

TEST(ConfigFile, AFlagIsItsNameAloneOrNameEqualsABoolean) {
  EXPECT_TRUE(config_from_file("binary\ncommand = cat\n").binary);
  EXPECT_TRUE(config_from_file("binary = true\ncommand = cat\n").binary);
  EXPECT_TRUE(config_from_file("binary = 1\ncommand = cat\n").binary);
  EXPECT_FALSE(config_from_file("binary = false\ncommand = cat\n").binary);
  EXPECT_FALSE(config_from_file("binary = F\ncommand = cat\n").binary);
  EXPECT_TRUE(config_from_file("sameorigin\ncommand = cat\n").origin_policy.same_origin);
  EXPECT_FALSE(config_from_file("command = cat\n").binary);
}

TEST(ConfigFile, ASingleValuedOptionRepeatedInTheFileTakesItsLastValue) {
  EXPECT_EQ(config_from_file("port = 1\nport = 2\ncommand = cat\n").port, 2u);
}

TEST(ConfigFile, OptionsThatNeedEachOtherMayComeFromBothPlaces) {
  const Config c = config_from_file("ssl\nsslkey = /k.pem\ncommand = cat\n", {"--sslcert=/c.pem"});
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.tls_certificate, "/c.pem");
  EXPECT_EQ(c.tls_key, "/k.pem");
  EXPECT_EQ(c.port, 443u);
}

TEST(ConfigFile, AFileWithOnlyDirectoriesNeedsNoCommand) {
  const Config c = config_from_file("staticdir = /srv/www\n");
  EXPECT_EQ(c.static_dir, "/srv/www");
  EXPECT_TRUE(c.command.empty());
}

// ---------------------------------------------------------------- precedence

TEST(ConfigPrecedence, TheCommandLineWinsForASingleValuedOption) {
  const Config c = config_from_file("port = 8080\nmaxforks = 3\ncommand = cat\n", {"--port=9090"});
  EXPECT_EQ(c.port, 9090u);
  EXPECT_EQ(c.max_forks, 3u);  // not on the command line: the file's
}

TEST(ConfigPrecedence, TheCommandLineWinsForAFlagEvenWhenItSaysFalse) {
  EXPECT_FALSE(config_from_file("binary\ncommand = cat\n", {"--binary=false"}).binary);
  EXPECT_TRUE(config_from_file("binary = false\ncommand = cat\n", {"-binary"}).binary);
}

TEST(ConfigPrecedence, TheCommandLinesListReplacesTheFilesListOfARepeatableOption) {
  const std::string file =
      "header = X-File-1: a\n"
      "header = X-File-2: b\n"
      "address = 127.0.0.1\n"
      "command = cat\n";
  const Config c = config_from_file(file, {"--header=X-Cli: c"});
  ASSERT_EQ(c.headers.size(), 1u);
  EXPECT_EQ(c.headers[0].name, "X-Cli");
  EXPECT_EQ(c.addresses, (Args{"127.0.0.1"}));  // not on the command line: the file's
}

TEST(ConfigPrecedence, TheCommandLinesCommandReplacesTheFilesWithItsArguments) {
  const Config c = config_from_file("command = /usr/bin/cat -n\n", {"/bin/echo", "hi"});
  EXPECT_EQ(c.command, "/bin/echo");
  EXPECT_EQ(c.command_args, (Args{"hi"}));
}

TEST(ConfigPrecedence, TheFilesCommandIsUsedWhenTheCommandLineHasNone) {
  for (const Args& args : {Args{}, Args{"--port=9090"}, Args{"--"}}) {
    const Config c = config_from_file("command = /usr/bin/cat -n\n", args);
    EXPECT_EQ(c.command, "/usr/bin/cat");
    EXPECT_EQ(c.command_args, (Args{"-n"}));
  }
}

TEST(ConfigPrecedence, AValueTheCommandLineReplacesIsNotRead) {
  // program_options never stores it; the command line's value is checked.
  EXPECT_EQ(config_from_file("port = eighty\ncommand = cat\n", {"--port=80"}).port, 80u);
  // Its name is still checked: an unknown one is refused wherever it is.
  expect_refused_at("prot = 1\ncommand = cat\n", 1, 2, "unknown option \"prot\"", {"--port=80"});
}

// ---------------------------------------------------------------- refusals

TEST(ConfigFileErrors, AnUnknownOptionIsRefusedWithItsFileAndLineAndExitStatus2) {
  const auto failure = failure_with_file("# comment\n\nprot = 8080\ncommand = cat\n");
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->exit_status, 2);
  EXPECT_EQ(failure->message, kPath + ":3: unknown option \"prot\"");
}

TEST(ConfigFileErrors, AnOptionWrittenWithDashesIsRefusedWithTheWayToWriteIt) {
  expect_refused_at("--port = 8080\n", 1, 2, "without dashes: port = ");
  expect_refused_at("-binary\n", 1, 2, "without dashes: binary = ");
  // Dashes alone name nothing (found by fuzzing: program_options threw).
  expect_refused_at("command = cat\n-\n", 2, 2, "unknown option \"-\"");
  expect_refused_at("--\n", 1, 2, "unknown option \"--\"");
}

TEST(ConfigFileErrors, ABadValueIsRefusedWithItsFileAndLineAndExitStatus1) {
  expect_refused_at("command = cat\nport = eighty\n", 2, 1, "--port");
  expect_refused_at("command = cat\nport = 70000\n", 2, 1, "--port");
  expect_refused_at("command = cat\n\nmaxforks = many\n", 3, 1, "--maxforks");
  expect_refused_at("binary = maybe\ncommand = cat\n", 1, 1, "--binary takes true or false");
  expect_refused_at("loglevel = loud\ncommand = cat\n", 1, 1, "--loglevel");
  expect_refused_at("origin = http://\ncommand = cat\n", 1, 1, "origin");
  expect_refused_at("address = ::1\ncommand = cat\n", 1, 1, "--address");
  expect_refused_at("unixsocket =\ncommand = cat\n", 1, 1, "--unixsocket needs a path");
  expect_refused_at("redirport = 0\ncommand = cat\n", 1, 1, "--redirport");
}

TEST(ConfigFileErrors, TheBadOccurrenceOfARepeatedOptionIsTheLineNamed) {
  expect_refused_at("header = X-A: 1\nheader = no colon\ncommand = cat\n", 2, 1, "--header");
  expect_refused_at("header-ws = X-A: 1\n#\nheader-ws = : x\ncommand = cat\n", 3, 1, "--header-ws");
  expect_refused_at("address = 127.0.0.1\naddress = [::1\ncommand = cat\n", 2, 1, "--address");
  // A bad earlier value of a single-valued option is refused like a last one.
  expect_refused_at("port = x\nport = 8080\ncommand = cat\n", 1, 1, "--port");
}

TEST(ConfigFileErrors, ABadValueOnTheCommandLineIsNotBlamedOnTheFile) {
  const auto failure = failure_with_file("port = 8080\ncommand = cat\n", {"--maxforks=x"});
  ASSERT_TRUE(failure.has_value());
  EXPECT_TRUE(failure->message.starts_with("--maxforks")) << failure->message;
}

TEST(ConfigFileErrors, AValueOptionWithoutAValueIsRefused) {
  expect_refused_at("command = cat\nport\n", 2, 1, "port needs a value: port = VALUE");
}

TEST(ConfigFileErrors, ALineWithoutANameIsRefused) {
  expect_refused_at("command = cat\n= 8080\n", 2, 1, "no name");
}

TEST(ConfigFileErrors, ACommandThatCannotBeSplitIsRefused) {
  expect_refused_at("command = sh -c 'echo\n", 1, 1, "command: a ' quote is not closed");
  expect_refused_at("command = sh -c \"echo\n", 1, 1, "command: a \" quote is not closed");
  expect_refused_at("command = cat \\\n", 1, 1, "backslash");
}

TEST(ConfigFileErrors, AnEmptyCommandIsRefused) {
  expect_refused_at("port = 1\ncommand =\n", 2, 1, "command needs the program to run");
  expect_refused_at("command\n", 1, 1, "command needs the program to run");
  expect_refused_at("command = '' x\n", 1, 1, "the program's name is empty");
}

TEST(ConfigFileErrors, ASecondCommandIsRefusedNamingTheFirst) {
  expect_refused_at("command = cat\n\ncommand = tac\n", 3, 1, kPath + ":1");
}

TEST(ConfigFileErrors, OptionsAboutTheCommandLineItselfAreRefusedInTheFile) {
  for (const std::string name : {"config = /other.conf", "help", "version", "license = true"}) {
    expect_refused_at("command = cat\n" + name + "\n", 2, 1, "belongs on the command line");
  }
}

TEST(ConfigFileErrors, ANulByteIsRefused) {
  expect_refused_at("command = cat\nheader = X-A: a\0b\n"s, 2, 1, "NUL");
}

TEST(ConfigFileErrors, ACommandAndDirTogetherNameTheLineOfTheCommand) {
  // Not a line's fault alone: the sentence is the usual one, with the line.
  const auto failure = failure_with_file("\ncommand = cat\n", {"--dir=/srv"});
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->exit_status, 1);
  EXPECT_TRUE(failure->message.starts_with("give either a COMMAND or --dir")) << failure->message;
  EXPECT_NE(failure->message.find(kPath + ":2 sets the command"), std::string::npos)
      << failure->message;
}

TEST(ConfigFileErrors, NoCommandInEitherPlaceIsRefused) {
  const auto failure = failure_with_file("port = 8080\n");
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->exit_status, 1);
  EXPECT_TRUE(failure->message.starts_with("no command given")) << failure->message;
  EXPECT_NE(failure->message.find("in " + kPath + ": command = PROGRAM ARGS"), std::string::npos)
      << failure->message;
}

// ---------------------------------------------------------------- --config itself

TEST(ConfigOption, MayBeGivenOnlyOnce) {
  try {
    parse_command_line({"--config=/a.conf", "--config=/b.conf", "cat"},
                       [](const std::string&) { return std::string("port = 1\n"); });
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1);
    EXPECT_NE(std::string(e.what()).find("--config may be given only once"), std::string::npos);
  }
}

TEST(ConfigOption, NeedsAFileName) {
  try {
    parse_command_line({"--config=", "cat"}, [](const std::string&) -> std::string {
      ADD_FAILURE() << "read an unnamed file";
      return "";
    });
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_status(), 1);
    EXPECT_NE(std::string(e.what()).find("--config needs a file name"), std::string::npos);
  }
}

TEST(ConfigOption, TheReadersRefusalIsTheError) {
  try {
    parse_command_line(
        {"--config=/missing.conf", "cat"}, [](const std::string& path) -> std::string {
          throw ConfigError("cannot read the configuration file " + path + ": No such file", 1);
        });
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot read the configuration file /missing.conf: No such file");
  }
}

TEST(ConfigOption, HelpIsPrintedWithoutReadingTheFile) {
  const CommandLine line =
      parse_command_line({"--config=/x.conf", "--help"}, [](const std::string&) -> std::string {
        ADD_FAILURE() << "read the file for --help";
        return "";
      });
  EXPECT_EQ(line.action, StartupAction::show_help);
}

TEST(ConfigOption, WithoutAReaderIsRefused) {
  EXPECT_THROW(parse_command_line({"--config=/x.conf", "cat"}), ConfigError);
}

TEST(ConfigOption, IsListedInTheHelp) {
  EXPECT_NE(help_text().find("--config=FILE"), std::string::npos);
}

}  // namespace
}  // namespace wsexec
