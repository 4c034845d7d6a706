#include "core/config.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsexec {
namespace {

using Args = std::vector<std::string>;

CommandLine parse(const Args& args) {
  return parse_command_line(args);
}

struct Failure {
  int exit_status;
  bool show_usage;
  std::string message;
};

// The ConfigError the arguments are refused with, or nullopt when they are
// accepted. Any other exception escapes and fails the test.
std::optional<Failure> failure_of(const Args& args) {
  try {
    parse_command_line(args);
  } catch (const ConfigError& e) {
    return Failure{e.exit_status(), e.show_usage(), e.what()};
  }
  return std::nullopt;
}

std::string joined(const Args& args) {
  std::string text;
  for (const auto& arg : args) text += (text.empty() ? "" : " ") + arg;
  return text;
}

// Refused with exit 1, no usage, and a message naming `option` (e.g. "--port").
void expect_bad_value(const Args& args, std::string_view option) {
  SCOPED_TRACE(joined(args));
  const auto failure = failure_of(args);
  ASSERT_TRUE(failure.has_value()) << "accepted";
  EXPECT_EQ(failure->exit_status, 1);
  EXPECT_FALSE(failure->show_usage);
  EXPECT_NE(failure->message.find(option), std::string::npos)
      << "message does not name " << option << ": " << failure->message;
}

// The four spellings docs/compatibility.md ("Spelling and where options end")
// accepts for a value option.
enum class Spelling { double_equals, double_space, single_equals, single_space };
constexpr Spelling kSpellings[] = {Spelling::double_equals, Spelling::double_space,
                                   Spelling::single_equals, Spelling::single_space};

Args spelled(Spelling spelling, const std::string& name, const std::string& value) {
  switch (spelling) {
    case Spelling::double_equals:
      return {"--" + name + "=" + value};
    case Spelling::double_space:
      return {"--" + name, value};
    case Spelling::single_equals:
      return {"-" + name + "=" + value};
    case Spelling::single_space:
      return {"-" + name, value};
  }
  return {};
}

// `name value` in the given spelling, then the command "cat".
Config with_option(Spelling spelling, const std::string& name, const std::string& value) {
  Args args = spelled(spelling, name, value);
  args.push_back("cat");
  const CommandLine line = parse(args);
  EXPECT_EQ(line.action, StartupAction::serve);
  EXPECT_EQ(line.config.command, "cat");
  EXPECT_TRUE(line.config.command_args.empty());
  return line.config;
}

std::string spelling_name(Spelling spelling) {
  return joined(spelled(spelling, "name", "value"));
}

// ---------------------------------------------------------------- defaults

TEST(ConfigDefaults, CommandAloneGivesTheDocumentedDefaults) {
  const CommandLine line = parse({"cat"});
  EXPECT_EQ(line.action, StartupAction::serve);
  const Config& c = line.config;
  EXPECT_EQ(c.port, 80u);
  EXPECT_TRUE(c.addresses.empty());
  EXPECT_FALSE(c.binary);
  EXPECT_FALSE(c.pass_stderr);
  EXPECT_FALSE(c.reverse_lookup);
  EXPECT_FALSE(c.origin_policy.same_origin);
  EXPECT_TRUE(c.origin_policy.allowed.empty());
  EXPECT_EQ(c.passenv, (Args{"PATH", "LD_LIBRARY_PATH"}));
  EXPECT_EQ(c.max_forks, 1024u);
  EXPECT_EQ(c.max_frame_size, 1048576u);
  EXPECT_EQ(c.close_ms, 0u);
  EXPECT_EQ(c.ping_ms, 0u);
  EXPECT_TRUE(c.headers.empty());
  EXPECT_TRUE(c.headers_ws.empty());
  EXPECT_TRUE(c.headers_http.empty());
  EXPECT_EQ(c.log_level, LogLevel::access);
  EXPECT_EQ(c.command, "cat");
  EXPECT_TRUE(c.command_args.empty());
}

// ---------------------------------------------------------------- spellings

TEST(ConfigSpelling, EveryValueOptionInAllFourSpellings) {
  for (const Spelling s : kSpellings) {
    SCOPED_TRACE(spelling_name(s));
    EXPECT_EQ(with_option(s, "port", "8080").port, 8080u);
    EXPECT_EQ(with_option(s, "address", "127.0.0.1").addresses, (Args{"127.0.0.1"}));
    EXPECT_EQ(with_option(s, "address", "[::1]").addresses, (Args{"::1"}));
    EXPECT_EQ(with_option(s, "passenv", "HOME,USER").passenv, (Args{"HOME", "USER"}));
    EXPECT_EQ(with_option(s, "maxforks", "7").max_forks, 7u);
    EXPECT_EQ(with_option(s, "maxframesize", "4096").max_frame_size, 4096u);
    EXPECT_EQ(with_option(s, "closems", "300").close_ms, 300u);
    EXPECT_EQ(with_option(s, "pingms", "1500").ping_ms, 1500u);
    EXPECT_EQ(with_option(s, "loglevel", "debug").log_level, LogLevel::debug);

    const auto origins = with_option(s, "origin", "example.com").origin_policy.allowed;
    ASSERT_EQ(origins.size(), 1u);
    EXPECT_EQ(origins[0].host, "example.com");

    for (const std::string name : {"header", "header-ws", "header-http"}) {
      SCOPED_TRACE(name);
      const Config c = with_option(s, name, "X-A: b c");
      const auto& fields = name == "header"      ? c.headers
                           : name == "header-ws" ? c.headers_ws
                                                 : c.headers_http;
      ASSERT_EQ(fields.size(), 1u);
      EXPECT_EQ(fields[0].name, "X-A");
      EXPECT_EQ(fields[0].value, "b c");
    }
  }
}

TEST(ConfigSpelling, ValueMayContainEqualsSign) {
  const Config c = parse({"--header=X-Q: a=b", "--header", "X-R: c=d", "cat"}).config;
  ASSERT_EQ(c.headers.size(), 2u);
  EXPECT_EQ(c.headers[0].value, "a=b");
  EXPECT_EQ(c.headers[1].value, "c=d");
}

TEST(ConfigSpelling, ValueInSeparateWordIsTakenEvenIfItLooksLikeACommand) {
  // "--port 8080 cat": 8080 is the value, cat the command.
  const CommandLine line = parse({"--port", "8080", "cat", "x"});
  EXPECT_EQ(line.config.port, 8080u);
  EXPECT_EQ(line.config.command, "cat");
  EXPECT_EQ(line.config.command_args, (Args{"x"}));
}

TEST(ConfigSpelling, ValueInSeparateWordIsTakenEvenIfItStartsWithADash) {
  // Go's flag package (websocketd) takes the next word as the value, whatever it is.
  const CommandLine line = parse({"--passenv", "-weird", "cat"});
  EXPECT_EQ(line.config.passenv, (Args{"-weird"}));
  EXPECT_EQ(line.config.command, "cat");
}

TEST(ConfigSpelling, ValueInSeparateWordIsTakenEvenIfItIsABareOptionName) {
  // Program_options refuses a next word that equals an option's name as
  // written; "binary" and "dir" are only values here.
  const CommandLine line = parse({"--passenv", "binary", "--dir", "dir"});
  EXPECT_EQ(line.config.passenv, (Args{"binary"}));
  EXPECT_FALSE(line.config.binary);
  EXPECT_EQ(line.config.script_dir, "dir");
}

TEST(ConfigSpelling, ValueInSeparateWordIsTakenEvenIfItHasAnEmptyNameOrValue) {
  for (const std::string value : {"-=x", "--=x", "-=", "--x=", "-port="}) {
    SCOPED_TRACE(value);
    const CommandLine line = parse({"--passenv", value, "cat"});
    EXPECT_EQ(line.config.passenv, (Args{value}));
    EXPECT_EQ(line.config.command, "cat");
  }
}

TEST(ConfigSpelling, ValueInSeparateWordIsTakenEvenIfItIsAnOptionName) {
  // "--passenv --binary cat" in Go's flag package: passenv is "--binary",
  // binary stays false, cat is the command.
  const CommandLine line = parse({"--passenv", "--binary", "cat"});
  EXPECT_EQ(line.config.passenv, (Args{"--binary"}));
  EXPECT_FALSE(line.config.binary);
  EXPECT_EQ(line.config.command, "cat");
}

// ---------------------------------------------------------------- booleans

struct BoolOption {
  const char* name;
  bool Config::*field;  // nullptr: sameorigin, which lives in origin_policy
};

constexpr BoolOption kBoolOptions[] = {
    {"binary", &Config::binary},
    {"passstderr", &Config::pass_stderr},
    {"reverselookup", &Config::reverse_lookup},
    {"sameorigin", nullptr},
};

bool value_of(const Config& c, const BoolOption& option) {
  return option.field ? c.*option.field : c.origin_policy.same_origin;
}

TEST(ConfigBoolean, BareFlagWithOneOrTwoDashesIsTrue) {
  for (const auto& option : kBoolOptions) {
    for (const std::string dashes : {"-", "--"}) {
      SCOPED_TRACE(dashes + option.name);
      const CommandLine line = parse({dashes + option.name, "cat"});
      EXPECT_TRUE(value_of(line.config, option));
      EXPECT_EQ(line.config.command, "cat");
    }
  }
}

TEST(ConfigBoolean, AbsentFlagIsFalse) {
  const Config c = parse({"--port=1", "cat"}).config;
  for (const auto& option : kBoolOptions) {
    SCOPED_TRACE(option.name);
    EXPECT_FALSE(value_of(c, option));
  }
}

TEST(ConfigBoolean, EveryGoSpellingOfTrueAndFalse) {
  // strconv.ParseBool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False.
  const std::pair<const char*, bool> spellings[] = {
      {"1", true},    {"t", true},      {"T", true},      {"TRUE", true},
      {"true", true}, {"True", true},   {"0", false},     {"f", false},
      {"F", false},   {"FALSE", false}, {"false", false}, {"False", false},
  };
  for (const auto& option : kBoolOptions) {
    for (const std::string dashes : {"-", "--"}) {
      for (const auto& [text, expected] : spellings) {
        const std::string arg = dashes + option.name + "=" + text;
        SCOPED_TRACE(arg);
        EXPECT_EQ(value_of(parse({arg, "cat"}).config, option), expected);
      }
    }
  }
}

TEST(ConfigBoolean, OtherSpellingsAreRefusedNamingTheOption) {
  for (const auto& option : kBoolOptions) {
    for (const std::string text :
         {"maybe", "yes", "no", "on", "off", "2", "tRUE", "fALSE", "", " true"}) {
      expect_bad_value({std::string("--") + option.name + "=" + text, "cat"},
                       std::string("--") + option.name);
    }
  }
}

TEST(ConfigBoolean, NeverConsumesTheNextWord) {
  {
    const CommandLine line = parse({"--binary", "cat"});
    EXPECT_TRUE(line.config.binary);
    EXPECT_EQ(line.config.command, "cat");
    EXPECT_TRUE(line.config.command_args.empty());
  }
  {
    // Go: "-binary false x" sets binary and runs the program "false".
    const CommandLine line = parse({"-binary", "false", "x"});
    EXPECT_TRUE(line.config.binary);
    EXPECT_EQ(line.config.command, "false");
    EXPECT_EQ(line.config.command_args, (Args{"x"}));
  }
  {
    const CommandLine line = parse({"--sameorigin", "true"});
    EXPECT_TRUE(line.config.origin_policy.same_origin);
    EXPECT_EQ(line.config.command, "true");
  }
  {
    const CommandLine line = parse({"--reverselookup", "--port", "9", "cat"});
    EXPECT_TRUE(line.config.reverse_lookup);
    EXPECT_EQ(line.config.port, 9u);
    EXPECT_EQ(line.config.command, "cat");
  }
}

TEST(ConfigBoolean, LastOccurrenceWins) {
  EXPECT_FALSE(parse({"--binary", "--binary=false", "cat"}).config.binary);
  EXPECT_TRUE(parse({"--binary=0", "-binary", "cat"}).config.binary);
}

// ---------------------------------------------------------------- where options end

TEST(ConfigCommand, OptionsEndAtTheFirstNonOption) {
  const CommandLine line = parse({"--port=1", "ls", "-l", "--port=2"});
  EXPECT_EQ(line.config.port, 1u);
  EXPECT_EQ(line.config.command, "ls");
  EXPECT_EQ(line.config.command_args, (Args{"-l", "--port=2"}));
}

TEST(ConfigCommand, CommandArgumentsArePassedUntouched) {
  const Args rest = {"--binary", "-", "--", "--bogus", "", "a b", "--help", "-port", "x=y"};
  Args args = {"--port=8080", "./script.sh"};
  args.insert(args.end(), rest.begin(), rest.end());
  const CommandLine line = parse(args);
  EXPECT_EQ(line.action, StartupAction::serve);
  EXPECT_FALSE(line.config.binary);
  EXPECT_EQ(line.config.command, "./script.sh");
  EXPECT_EQ(line.config.command_args, rest);
}

TEST(ConfigCommand, UnknownOptionAfterTheCommandBelongsToTheCommand) {
  const CommandLine line = parse({"cat", "--bogus"});
  EXPECT_EQ(line.config.command, "cat");
  EXPECT_EQ(line.config.command_args, (Args{"--bogus"}));
}

TEST(ConfigCommand, DoubleDashEndsOptions) {
  {
    const CommandLine line = parse({"--port=1", "--", "--binary", "x"});
    EXPECT_EQ(line.config.port, 1u);
    EXPECT_FALSE(line.config.binary);
    EXPECT_EQ(line.config.command, "--binary");
    EXPECT_EQ(line.config.command_args, (Args{"x"}));
  }
  {
    const CommandLine line = parse({"--", "ls", "--", "-l"});
    EXPECT_EQ(line.config.command, "ls");
    EXPECT_EQ(line.config.command_args, (Args{"--", "-l"}));
  }
}

TEST(ConfigCommand, DoubleDashAsAValueIsAValue) {
  // "--passenv --": the word after a value option is its value.
  const CommandLine line = parse({"--passenv", "--", "cat"});
  EXPECT_EQ(line.config.passenv, (Args{"--"}));
  EXPECT_EQ(line.config.command, "cat");
}

TEST(ConfigCommand, SingleDashIsACommandNotAnOption) {
  const CommandLine line = parse({"--binary", "-", "x"});
  EXPECT_TRUE(line.config.binary);
  EXPECT_EQ(line.config.command, "-");
  EXPECT_EQ(line.config.command_args, (Args{"x"}));
}

TEST(ConfigCommand, EmptyArgumentListIsExit1) {
  const auto failure = failure_of({});
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->exit_status, 1);
  EXPECT_FALSE(failure->message.empty());
}

TEST(ConfigCommand, OptionsWithoutCommandAreExit1) {
  for (const Args& args : {Args{"--port=8080"}, Args{"--binary"}, Args{"--port", "8080"},
                           Args{"--port=8080", "--"}, Args{"--"}}) {
    SCOPED_TRACE(joined(args));
    const auto failure = failure_of(args);
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->exit_status, 1);
    EXPECT_FALSE(failure->show_usage);
    EXPECT_NE(failure->message.find("command"), std::string::npos) << failure->message;
  }
}

TEST(ConfigCommand, ValueOptionAtTheEndWithoutValueIsExit1) {
  expect_bad_value({"--port"}, "--port");
  expect_bad_value({"-port"}, "--port");
  expect_bad_value({"--binary", "--header"}, "--header");
  expect_bad_value({"--port=1", "--loglevel"}, "--loglevel");
}

// ---------------------------------------------------------------- repeatable, last wins

TEST(ConfigRepeat, AddressesKeepTheirOrder) {
  const Config c = parse({"--address=127.0.0.1", "--address", "[::1]", "-address=localhost",
                          "-address", "10.0.0.1", "cat"})
                       .config;
  EXPECT_EQ(c.addresses, (Args{"127.0.0.1", "::1", "localhost", "10.0.0.1"}));
}

TEST(ConfigRepeat, HeadersKeepTheirOrderAndTheirKind) {
  const Config c =
      parse({"--header=A: 1", "--header-ws", "W: 1", "-header", "B: 2", "--header-http=H: 1",
             "-header-ws=W: 2", "--header=C: 3", "-header-http", "H: 2", "cat"})
          .config;
  ASSERT_EQ(c.headers.size(), 3u);
  EXPECT_EQ(c.headers[0].name, "A");
  EXPECT_EQ(c.headers[1].name, "B");
  EXPECT_EQ(c.headers[2].name, "C");
  EXPECT_EQ(c.headers[2].value, "3");
  ASSERT_EQ(c.headers_ws.size(), 2u);
  EXPECT_EQ(c.headers_ws[0].value, "1");
  EXPECT_EQ(c.headers_ws[1].value, "2");
  ASSERT_EQ(c.headers_http.size(), 2u);
  EXPECT_EQ(c.headers_http[0].value, "1");
  EXPECT_EQ(c.headers_http[1].value, "2");
}

TEST(ConfigRepeat, SingleValueOptionLastWins) {
  const Config c = parse({"--port=1",
                          "--port",
                          "2",
                          "-port=3",
                          "--maxforks=1",
                          "--maxforks=9",
                          "--maxframesize=1",
                          "-maxframesize",
                          "2",
                          "--closems=5",
                          "--closems=6",
                          "--pingms=7",
                          "--pingms=8",
                          "--loglevel=debug",
                          "--loglevel=error",
                          "--passenv=A",
                          "--passenv=B,C",
                          "--origin=a.com",
                          "--origin=b.com",
                          "cat"})
                       .config;
  EXPECT_EQ(c.port, 3u);
  EXPECT_EQ(c.max_forks, 9u);
  EXPECT_EQ(c.max_frame_size, 2u);
  EXPECT_EQ(c.close_ms, 6u);
  EXPECT_EQ(c.ping_ms, 8u);
  EXPECT_EQ(c.log_level, LogLevel::error);
  EXPECT_EQ(c.passenv, (Args{"B", "C"}));
  ASSERT_EQ(c.origin_policy.allowed.size(), 1u);
  EXPECT_EQ(c.origin_policy.allowed[0].host, "b.com");
}

TEST(ConfigRepeat, BadValueIsRefusedEvenWhenALaterOneIsGood) {
  // docs/compatibility.md, "Errors and exit status": a bad value exits 1,
  // even when a later value is good. websocketd (Go's flag package) rejects
  // "-port=abc" when it reads it, whatever follows.
  const Args args = {"--port=abc", "--port=8080", "cat"};
  expect_bad_value(args, "--port");
}

TEST(ConfigRepeat, BadBooleanIsRefusedEvenWhenALaterOneIsGood) {
  const Args args = {"--binary=maybe", "--binary", "cat"};
  expect_bad_value(args, "--binary");
}

// ---------------------------------------------------------------- values

TEST(ConfigValues, PortRange) {
  EXPECT_EQ(parse({"--port=1", "cat"}).config.port, 1u);
  EXPECT_EQ(parse({"--port=65535", "cat"}).config.port, 65535u);
  for (const std::string bad :
       {"abc", "70000", "65536", "-1", "", "8080x", " 80", "80 ", "1.5", "99999999999999999999"}) {
    expect_bad_value({"--port=" + bad, "cat"}, "--port");
  }
}

TEST(ConfigValues, PortZeroMeansThePortWasNotGiven) {
  // websocketd reads -port=0 as "no port given"; its test suite relies on it.
  EXPECT_EQ(parse({"--port=0", "cat"}).config.port, 80u);
  EXPECT_EQ(parse({"-port", "0", "--ssl", "--sslcert=c", "--sslkey=k", "cat"}).config.port, 443u);
  EXPECT_EQ(parse({"--port=8080", "--port=0", "cat"}).config.port, 80u);
  EXPECT_TRUE(parse({"--unixsocket=s", "--port=0", "cat"}).config.unix_socket_only);
  expect_bad_value({"--port=0", "--redirport=80", "cat"}, "--redirport");
}

TEST(ConfigValues, NumbersAcceptZeroWhereItMeansUnlimitedOrNever) {
  const Config c =
      parse({"--maxforks=0", "--maxframesize=0", "--closems=0", "--pingms=0", "cat"}).config;
  EXPECT_EQ(c.max_forks, 0u);
  EXPECT_EQ(c.max_frame_size, 0u);
  EXPECT_EQ(c.close_ms, 0u);
  EXPECT_EQ(c.ping_ms, 0u);
}

TEST(ConfigValues, MaxforksTakesLargeCounts) {
  EXPECT_EQ(parse({"--maxforks=4294967295", "cat"}).config.max_forks, 4294967295u);
  expect_bad_value({"--maxforks=4294967296", "cat"}, "--maxforks");
}

TEST(ConfigValues, BadNumbersNameTheirOption) {
  for (const std::string name : {"maxforks", "maxframesize", "closems", "pingms"}) {
    for (const std::string bad : {"-1", "x", "", "1e3", "12abc"}) {
      expect_bad_value({"--" + name + "=" + bad, "cat"}, "--" + name);
    }
  }
  expect_bad_value({"--closems=x", "cat"}, "--closems");
  expect_bad_value({"--maxforks=-1", "cat"}, "--maxforks");
}

TEST(ConfigValues, EveryLogLevel) {
  const std::pair<const char*, LogLevel> levels[] = {
      {"debug", LogLevel::debug}, {"trace", LogLevel::trace}, {"access", LogLevel::access},
      {"info", LogLevel::info},   {"error", LogLevel::error}, {"fatal", LogLevel::fatal},
      {"none", LogLevel::none},
  };
  for (const auto& [name, level] : levels) {
    SCOPED_TRACE(name);
    EXPECT_EQ(parse({std::string("--loglevel=") + name, "cat"}).config.log_level, level);
  }
  expect_bad_value({"--loglevel=loud", "cat"}, "--loglevel");
  expect_bad_value({"--loglevel=", "cat"}, "--loglevel");
  expect_bad_value({"--loglevel", "warn", "cat"}, "--loglevel");
}

TEST(ConfigValues, AddressForms) {
  const Config c = parse({"--address=[::1]", "--address=0.0.0.0", "--address=[fe80::1]",
                          "--address=my-host.example", "cat"})
                       .config;
  EXPECT_EQ(c.addresses, (Args{"::1", "0.0.0.0", "fe80::1", "my-host.example"}));
}

TEST(ConfigValues, BadAddresses) {
  for (const std::string bad : {"::1", "[::1", "[zz]", "[]", "", "a b", "fe80::1"}) {
    expect_bad_value({"--address=" + bad, "cat"}, "--address");
  }
}

TEST(ConfigValues, PassenvListIsTrimmedAndEmptyEntriesDropped) {
  EXPECT_EQ(parse({"--passenv= A , B,,C", "cat"}).config.passenv, (Args{"A", "B", "C"}));
  EXPECT_EQ(parse({"--passenv=HOME", "cat"}).config.passenv, (Args{"HOME"}));
}

TEST(ConfigValues, EmptyPassenvInAnySpellingPassesNothing) {
  // An empty list replaces the defaults: the child inherits nothing. Every
  // spelling of the option must mean the same (docs/compatibility.md,
  // "Spelling and where options end"), as in websocketd,
  // where -passenv= sets the empty string.
  // The space-separated spellings first, so they are checked before any skip.
  for (const Spelling s : {Spelling::double_space, Spelling::single_space, Spelling::double_equals,
                           Spelling::single_equals}) {
    SCOPED_TRACE(spelling_name(s));
    Args args = spelled(s, "passenv", "");
    args.push_back("cat");
    EXPECT_TRUE(parse(args).config.passenv.empty());
  }
}

TEST(ConfigValues, OriginListFillsThePolicy) {
  const Config c = parse({"--origin=https://a.com:8443, b.org ,HTTP://C.Net", "cat"}).config;
  EXPECT_FALSE(c.origin_policy.same_origin);
  const auto& allowed = c.origin_policy.allowed;
  ASSERT_EQ(allowed.size(), 3u);
  EXPECT_EQ(allowed[0].scheme, std::optional<std::string>("https"));
  EXPECT_EQ(allowed[0].host, "a.com");
  EXPECT_EQ(allowed[0].port, std::optional<unsigned>(8443));
  EXPECT_FALSE(allowed[1].scheme.has_value());
  EXPECT_EQ(allowed[1].host, "b.org");
  EXPECT_FALSE(allowed[1].port.has_value());
  EXPECT_EQ(allowed[2].scheme, std::optional<std::string>("http"));
  EXPECT_EQ(allowed[2].host, "c.net");
}

TEST(ConfigValues, OriginWithABadEntryNamesTheOptionAndTheEntry) {
  for (const std::string bad : {"http://a.com:x", "a.com:", "://a.com", "a.com,,b.com"}) {
    SCOPED_TRACE(bad);
    const Args args = {"--origin=good.com," + bad, "cat"};
    expect_bad_value(args, "--origin");
    const auto failure = failure_of(args);
    ASSERT_TRUE(failure.has_value());
    if (bad.find(",,") == std::string::npos) {
      EXPECT_NE(failure->message.find(bad), std::string::npos) << failure->message;
    }
  }
}

TEST(ConfigValues, SameoriginSetsThePolicyFlag) {
  const Config c = parse({"--sameorigin", "--origin=a.com", "cat"}).config;
  EXPECT_TRUE(c.origin_policy.same_origin);
  EXPECT_EQ(c.origin_policy.allowed.size(), 1u);
}

TEST(ConfigValues, HeaderNameAndValueAreSplitAndTrimmed) {
  const Config c = parse({"--header=X-A: b c", "--header=X-B:tight", "--header=X-C:   padded   ",
                          "--header=X-D: a:b", "--header=X-E:", "cat"})
                       .config;
  ASSERT_EQ(c.headers.size(), 5u);
  EXPECT_EQ(c.headers[0].name, "X-A");
  EXPECT_EQ(c.headers[0].value, "b c");
  EXPECT_EQ(c.headers[1].name, "X-B");
  EXPECT_EQ(c.headers[1].value, "tight");
  EXPECT_EQ(c.headers[2].value, "padded");
  EXPECT_EQ(c.headers[3].name, "X-D");
  EXPECT_EQ(c.headers[3].value, "a:b");
  EXPECT_EQ(c.headers[4].name, "X-E");
  EXPECT_EQ(c.headers[4].value, "");
}

TEST(ConfigValues, BadHeadersNameTheirOption) {
  for (const std::string name : {"header", "header-ws", "header-http"}) {
    for (const std::string bad :
         {"novalue", ": v", "X A: v", "X-A: a\r\nX-Evil: 1", "X-A: a\nb", "X(A): v", ""}) {
      expect_bad_value({"--" + name + "=" + bad, "cat"}, "--" + name);
    }
  }
}

TEST(ConfigValues, PassstderrWithBinaryNamesBothOptions) {
  for (const Args& args :
       {Args{"--passstderr", "--binary", "cat"}, Args{"--binary", "--passstderr", "cat"},
        Args{"-binary=true", "-passstderr=1", "cat"}}) {
    expect_bad_value(args, "--passstderr");
    expect_bad_value(args, "--binary");
  }
  const Config c = parse({"--binary=false", "--passstderr", "cat"}).config;
  EXPECT_TRUE(c.pass_stderr);
  EXPECT_FALSE(c.binary);
}

// ---------------------------------------------------------------- unknown, unsupported

TEST(ConfigErrors, UnknownOptionIsExit2WithUsage) {
  // The arguments, and the word the message must quote.
  const std::pair<Args, std::string> cases[] = {
      {{"--bogus", "cat"}, "--bogus"},
      {{"-bogus", "cat"}, "-bogus"},
      {{"--bogus=1", "cat"}, "--bogus"},
      {{"--port=1", "--nope", "cat"}, "--nope"},
      {{"--Port=1", "cat"}, "--Port"},
      {{"--bogus"}, "--bogus"},
      {{"---port=1", "cat"}, "---port"},
      {{"--head=X: y", "cat"}, "--head"},
      {{"-=x", "cat"}, "-=x"},
      {{"--=x", "cat"}, "--=x"},
      {{"--=", "cat"}, "--="},
      {{"-=", "cat"}, "-="},
      {{"-p", "cat"}, "-p"},
      {{"--bogus=", "cat"}, "--bogus="},
  };
  for (const auto& [args, word] : cases) {
    SCOPED_TRACE(joined(args));
    const auto failure = failure_of(args);
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->exit_status, 2);
    EXPECT_TRUE(failure->show_usage);
    EXPECT_NE(failure->message.find(word), std::string::npos) << failure->message;
  }
}

TEST(ConfigErrors, OtherErrorsDoNotAskForUsage) {
  for (const Args& args : {Args{}, Args{"--port=abc", "cat"}, Args{"--port"}}) {
    const auto failure = failure_of(args);
    ASSERT_TRUE(failure.has_value());
    EXPECT_FALSE(failure->show_usage);
  }
}

TEST(ConfigHttp, DirectoriesAndConsoleAreKept) {
  const Config c =
      parse({"--dir=ws", "--staticdir", "www", "-cgidir=cgi", "--unixsocket=/run/x.sock"}).config;
  EXPECT_EQ(c.script_dir, "ws");
  EXPECT_EQ(c.static_dir, "www");
  EXPECT_EQ(c.cgi_dir, "cgi");
  EXPECT_EQ(c.unix_socket, "/run/x.sock");
  EXPECT_TRUE(c.unix_socket_only);
  EXPECT_TRUE(c.command.empty());
  EXPECT_TRUE(parse({"--devconsole", "cat"}).config.dev_console);
}

TEST(ConfigHttp, UnixSocketIsOnlyListenerUnlessATcpOptionIsGiven) {
  EXPECT_TRUE(parse({"--unixsocket=s", "cat"}).config.unix_socket_only);
  EXPECT_FALSE(parse({"--unixsocket=s", "--port=8080", "cat"}).config.unix_socket_only);
  EXPECT_FALSE(parse({"--unixsocket=s", "--address=127.0.0.1", "cat"}).config.unix_socket_only);
  EXPECT_FALSE(parse({"--unixsocket=s", "--redirport=8081", "cat"}).config.unix_socket_only);
  expect_bad_value({"--unixsocket=", "cat"}, "--unixsocket");
}

TEST(ConfigHttp, ACommandOrADirectoryIsNeeded) {
  EXPECT_NO_THROW(parse({"--staticdir=www"}));
  EXPECT_NO_THROW(parse({"--cgidir=cgi"}));
  EXPECT_NO_THROW(parse({"--dir=ws", "--staticdir=www"}));
  expect_bad_value({"--dir=ws", "cat"}, "--dir");
  expect_bad_value({"--port=8080"}, "command");
}

TEST(ConfigHttp, DevconsoleExcludesStaticAndCgi) {
  const auto with_static = failure_of({"--devconsole", "--staticdir=www", "cat"});
  ASSERT_TRUE(with_static.has_value());
  EXPECT_NE(with_static->message.find("--devconsole"), std::string::npos);
  EXPECT_NE(with_static->message.find("--staticdir"), std::string::npos);
  const auto with_cgi = failure_of({"--devconsole", "--cgidir=cgi", "cat"});
  ASSERT_TRUE(with_cgi.has_value());
  EXPECT_NE(with_cgi->message.find("--cgidir"), std::string::npos);
}

// ---------------------------------------------------------------- help, version, license

TEST(ConfigActions, HelpVersionLicenseNeedNoCommand) {
  EXPECT_EQ(parse({"--help"}).action, StartupAction::show_help);
  EXPECT_EQ(parse({"-help"}).action, StartupAction::show_help);
  EXPECT_EQ(parse({"--version"}).action, StartupAction::show_version);
  EXPECT_EQ(parse({"-version"}).action, StartupAction::show_version);
  EXPECT_EQ(parse({"--license"}).action, StartupAction::show_license);
  EXPECT_EQ(parse({"-license"}).action, StartupAction::show_license);
}

TEST(ConfigActions, HelpVersionLicenseWithOtherOptionsAndACommand) {
  EXPECT_EQ(parse({"--port=8080", "--help", "cat"}).action, StartupAction::show_help);
  EXPECT_EQ(parse({"--binary", "--version", "cat", "-l"}).action, StartupAction::show_version);
  EXPECT_EQ(parse({"--license=true"}).action, StartupAction::show_license);
  // After the command, --help belongs to the command.
  const CommandLine line = parse({"cat", "--help"});
  EXPECT_EQ(line.action, StartupAction::serve);
  EXPECT_EQ(line.config.command_args, (Args{"--help"}));
}

TEST(ConfigActions, HelpWinsOverABadValueOfAnotherOption) {
  EXPECT_EQ(parse({"--binary=maybe", "--help"}).action, StartupAction::show_help);
  EXPECT_EQ(parse({"--port=abc", "--version"}).action, StartupAction::show_version);
  expect_bad_value({"--help=maybe", "cat"}, "--help");
}

TEST(ConfigActions, HelpFalseServes) {
  const CommandLine line = parse({"--help=false", "cat"});
  EXPECT_EQ(line.action, StartupAction::serve);
  EXPECT_EQ(line.config.command, "cat");
}

// "--name" appears in `text` as a whole option name (not as the prefix of a
// longer one, e.g. --header inside --header-ws).
bool mentions_option(const std::string& text, const std::string& name) {
  const std::string needle = "--" + name;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    const std::size_t after = at + needle.size();
    if (after == text.size()) return true;
    const char next = text[after];
    const bool continues_name = (next >= 'a' && next <= 'z') || next == '-';
    if (!continues_name) return true;
  }
  return false;
}

TEST(ConfigText, HelpListsEveryOptionOfCompatMdWithTwoDashes) {
  const std::string help = help_text();
  const char* const options[] = {
      "port",        "address",       "unixsocket", "redirport", "ssl",     "sslcert",
      "sslkey",      "sslca",         "sameorigin", "origin",    "passenv", "binary",
      "passstderr",  "reverselookup", "dir",        "staticdir", "cgidir",  "devconsole",
      "maxforks",    "maxframesize",  "closems",    "pingms",    "header",  "header-ws",
      "header-http", "loglevel",      "help",       "version",   "license",
  };
  for (const char* name : options) {
    EXPECT_TRUE(mentions_option(help, name)) << "--help does not list --" << name;
  }
}

TEST(ConfigText, HelpGivesTheDefaults) {
  const std::string help = help_text();
  for (const char* text : {"80", "1024", "1048576", "PATH,LD_LIBRARY_PATH", "access"}) {
    EXPECT_NE(help.find(text), std::string::npos) << "--help does not mention " << text;
  }
}

TEST(ConfigText, VersionNamesWsexecAndWebsocketd) {
  const std::string version = version_text();
  EXPECT_TRUE(version.starts_with("wsexec ")) << version;
  EXPECT_NE(version.find(WSEXEC_VERSION), std::string::npos) << version;
  EXPECT_NE(version.find("websocketd"), std::string::npos) << version;
  EXPECT_NE(version.find("0.5"), std::string::npos) << version;
}

TEST(ConfigText, UsageIsShortAndPointsToHelp) {
  const std::string usage = usage_text();
  EXPECT_NE(usage.find("COMMAND"), std::string::npos) << usage;
  EXPECT_NE(usage.find("--help"), std::string::npos) << usage;
  std::size_t lines = 0;
  for (const char c : usage) lines += c == '\n';
  EXPECT_LE(lines, 5u) << usage;
}

TEST(ConfigText, LicenseNamesWsexecAndIsAPermissiveLicense) {
  const std::string license = license_text();
  EXPECT_TRUE(license.starts_with("wsexec ")) << license;
  EXPECT_NE(license.find("Permission is hereby granted"), std::string::npos);
  EXPECT_NE(license.find("WITHOUT WARRANTY"), std::string::npos);
}

TEST(ConfigText, LicenseIsTheVersionLineThenTheWholeLicenseFile) {
  // The body is LICENSE, compiled in: from its copyright line to its last.
  const std::string license = license_text();
  EXPECT_TRUE(
      license.starts_with("wsexec " WSEXEC_VERSION "\nCopyright (c) 2026 the wsexec authors.\n\n"))
      << license;
  EXPECT_TRUE(license.ends_with("OTHER DEALINGS IN THE\nSOFTWARE.\n")) << license;
}

}  // namespace
}  // namespace wsexec

namespace wsexec {
namespace {

TEST(ConfigTls, SslNeedsCertificateAndKey) {
  expect_bad_value({"--ssl", "cat"}, "--sslcert");
  expect_bad_value({"--ssl", "--sslcert=c.pem", "cat"}, "--sslkey");
  expect_bad_value({"--ssl", "--sslkey=k.pem", "cat"}, "--sslcert");
}

TEST(ConfigTls, TlsFilesWithoutSslAreRefused) {
  expect_bad_value({"--sslcert=c.pem", "--sslkey=k.pem", "cat"}, "--ssl");
  expect_bad_value({"--sslca=ca.pem", "cat"}, "--sslca");
}

TEST(ConfigTls, SslDefaultsToPort443AndKeepsTheFiles) {
  const Config c =
      parse({"--ssl", "--sslcert", "c.pem", "-sslkey=k.pem", "--sslca=ca.pem", "cat"}).config;
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.port, 443u);
  EXPECT_EQ(c.tls_certificate, "c.pem");
  EXPECT_EQ(c.tls_key, "k.pem");
  EXPECT_EQ(c.tls_client_ca, "ca.pem");
  EXPECT_EQ(parse({"--ssl", "--sslcert=c", "--sslkey=k", "--port=8443", "cat"}).config.port, 8443u);
  EXPECT_FALSE(parse({"cat"}).config.tls);
  EXPECT_TRUE(parse({"cat"}).config.tls_client_ca.empty());
}

TEST(ConfigRedirect, RedirportIsAPortOtherThanPort) {
  EXPECT_EQ(parse({"--port=8443", "--redirport=8080", "cat"}).config.redirect_port, 8080u);
  EXPECT_EQ(parse({"cat"}).config.redirect_port, 0u);
  expect_bad_value({"--port=8080", "--redirport=8080", "cat"}, "--redirport");
  expect_bad_value({"--redirport=0", "cat"}, "--redirport");
  expect_bad_value({"--redirport=x", "cat"}, "--redirport");
}

}  // namespace
}  // namespace wsexec

namespace wsexec {
namespace {

TEST(ConfigNegotiation, CompressAndSubprotocolsAreOffByDefault) {
  const Config config = parse({"cat"}).config;
  EXPECT_FALSE(config.compress);
  EXPECT_TRUE(config.subprotocols.empty());
  EXPECT_FALSE(config.subprotocol_required);
}

TEST(ConfigNegotiation, CompressIsABooleanFlag) {
  EXPECT_TRUE(parse({"--compress", "cat"}).config.compress);
  EXPECT_FALSE(parse({"--compress=false", "cat"}).config.compress);
  const auto failure = failure_of({"--compress=maybe", "cat"});
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message.find("--compress"), std::string::npos) << failure->message;
}

TEST(ConfigNegotiation, SubprotocolListKeepsOurOrderAndTheLastOccurrence) {
  const Config config = parse({"--subprotocol=x", "--subprotocol", "chat.v2, chat.v1",
                               "--subprotocol-required", "cat"})
                            .config;
  EXPECT_EQ(config.subprotocols, (std::vector<std::string>{"chat.v2", "chat.v1"}));
  EXPECT_TRUE(config.subprotocol_required);
}

TEST(ConfigNegotiation, ABadSubprotocolIsRefusedEvenWhenALaterOneIsGood) {
  const auto failure = failure_of({"--subprotocol=bad name", "--subprotocol=good", "cat"});
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->exit_status, 1);
  EXPECT_NE(failure->message.find("--subprotocol: \"bad name\""), std::string::npos)
      << failure->message;
}

TEST(ConfigNegotiation, SubprotocolRequiredNeedsAList) {
  const auto failure = failure_of({"--subprotocol-required", "cat"});
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->exit_status, 1);
  EXPECT_NE(failure->message.find("--subprotocol-required needs --subprotocol"), std::string::npos)
      << failure->message;
}

}  // namespace
}  // namespace wsexec
