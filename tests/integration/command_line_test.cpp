// The command line (docs/compatibility.md, "Command line"): spellings, where options
// end, start-up errors and their exit codes.
#include <regex>
#include <string>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Runs the binary and checks it exits with this code; returns its output.
RunResult expect_exit(const std::vector<std::string>& args, int code) {
  RunResult result = run_to_exit(args);
  std::string shown;
  for (const auto& arg : args) shown += " " + arg;
  EXPECT_TRUE(result.status.has_value()) << "still running after 5 s:" << shown;
  if (result.status) {
    EXPECT_TRUE(result.status->exited && result.status->code == code)
        << shown << ": " << describe(*result.status) << ", expected exit code " << code
        << "\nstdout: " << result.out << "\nstderr: " << result.err;
  }
  return result;
}

TEST(CommandLine, UnknownOptionPrintsUsageAndExits2) {
  RunResult result = expect_exit({"--no-such-option", "cat"}, 2);
  EXPECT_TRUE(contains(lower(result.err), "usage")) << result.err;
  EXPECT_TRUE(contains(result.err, "no-such-option")) << result.err;
}

TEST(CommandLine, NoArgumentsExits1) {
  RunResult result = expect_exit({}, 1);
  EXPECT_FALSE(result.err.empty());
}

TEST(CommandLine, MissingCommandExits1) {
  RunResult result = expect_exit({"--port=" + std::to_string(free_port())}, 1);
  EXPECT_FALSE(result.err.empty());
}

TEST(CommandLine, BadPortValueExits1NamingTheOption) {
  RunResult result = expect_exit({"--port=abc", "cat"}, 1);
  EXPECT_TRUE(contains(result.err, "--port")) << result.err;
}

struct BadValue {
  const char* name;
  std::vector<std::string> args;
  std::vector<std::string> named;  // what the error sentence must mention
};

void PrintTo(const BadValue& value, std::ostream* out) {
  *out << value.name;
}

class BadValueTest : public testing::TestWithParam<BadValue> {};

TEST_P(BadValueTest, Exits1NamingTheOptions) {
  std::vector<std::string> args = {"--port=" + std::to_string(free_port())};
  args.insert(args.end(), GetParam().args.begin(), GetParam().args.end());
  args.push_back("cat");
  RunResult result = expect_exit(args, 1);
  for (const std::string& option : GetParam().named) {
    EXPECT_TRUE(contains(result.err, option))
        << "stderr does not name " << option << ": " << result.err;
  }
}

std::string bad_value_name(const testing::TestParamInfo<BadValue>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(
    CommandLine, BadValueTest,
    testing::Values(BadValue{"PassstderrWithBinary",
                             {"--passstderr", "--binary"},
                             {"--passstderr", "--binary"}},
                    BadValue{"PortOutOfRange", {"--port=70000"}, {"--port"}},
                    BadValue{"UnknownLoglevel", {"--loglevel=loud"}, {"--loglevel"}},
                    BadValue{"MaxforksNotANumber", {"--maxforks=many"}, {"--maxforks"}},
                    BadValue{"PingmsNotANumber", {"--pingms=often"}, {"--pingms"}},
                    BadValue{"BooleanNotABoolean", {"--binary=maybe"}, {"--binary"}}),
    bad_value_name);

TEST(CommandLine, CommandMissingFromDiskExits1BeforeListening) {
  const std::uint16_t port = free_port();
  RunResult result = expect_exit(
      {"--port=" + std::to_string(port), "--address=127.0.0.1", "/nonexistent/wsexec-test-command"},
      1);
  EXPECT_TRUE(contains(result.err, "/nonexistent/wsexec-test-command")) << result.err;
  EXPECT_FALSE(contains(result.out, "ws://")) << "it announced a listener: " << result.out;
}

TEST(CommandLine, CommandNotInPathExits1) {
  RunResult result = expect_exit({"--port=" + std::to_string(free_port()), "--address=127.0.0.1",
                                  "wsexec-test-no-such-command"},
                                 1);
  EXPECT_TRUE(contains(result.err, "wsexec-test-no-such-command")) << result.err;
}

TEST(CommandLine, NonExecutableCommandExits1) {
  TempDir dir;
  std::string file = dir.write_file("not_executable.sh", "#!/bin/sh\necho hi\n", 0644);
  RunResult result =
      expect_exit({"--port=" + std::to_string(free_port()), "--address=127.0.0.1", file}, 1);
  EXPECT_TRUE(contains(result.err, file)) << result.err;
}

// The four spellings of an option with a value.
struct Spelling {
  const char* name;
  const char* option;  // ends with '=' when the value is attached
};

void PrintTo(const Spelling& spelling, std::ostream* out) {
  *out << spelling.option;
}

class PortSpellingTest : public testing::TestWithParam<Spelling> {};

TEST_P(PortSpellingTest, Works) {
  const std::uint16_t port = free_port();
  const std::string option = GetParam().option;
  std::vector<std::string> args;
  if (option.back() == '=') {
    args = {option + std::to_string(port)};
  } else {
    args = {option, std::to_string(port)};
  }
  args.insert(args.end(), {"-address", "127.0.0.1", "cat"});
  ServerOptions options;
  options.args = args;
  options.add_listen_args = false;
  options.port = port;
  ServerProcess server(std::move(options));
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_text("spelled"));
  EXPECT_TRUE(IsText(client->read(5s), "spelled"));
}

std::string spelling_name(const testing::TestParamInfo<Spelling>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(CommandLine, PortSpellingTest,
                         testing::Values(Spelling{"DoubleDashEquals", "--port="},
                                         Spelling{"DoubleDashSpace", "--port"},
                                         Spelling{"SingleDashEquals", "-port="},
                                         Spelling{"SingleDashSpace", "-port"}),
                         spelling_name);

TEST(CommandLine, OptionsEndAtTheFirstNonOption) {
  // -n is cat's: numbered lines prove it got there.
  ServerProcess server({"cat", "-n"});
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_text("x"));
  EXPECT_TRUE(IsText(client->read(5s), "     1\tx"));
}

TEST(CommandLine, OptionLikeArgumentsAfterTheCommandBelongToIt) {
  TempDir dir;
  std::string script = dir.write_script("args.sh", "echo \"$*\"\n");
  ServerProcess server({script, "--binary", "--port=1", "-x"});
  auto client = connect_to(server);
  // A text message: --binary went to the script, not to the server.
  EXPECT_TRUE(IsText(client->read(5s), "--binary --port=1 -x"));
}

TEST(CommandLine, BooleanOptionsTakeExplicitValues) {
  {
    ServerProcess server({"--binary=false", "cat"});
    auto client = connect_to(server);
    ASSERT_TRUE(client->send_text("text mode"));
    EXPECT_TRUE(IsText(client->read(5s), "text mode"));
  }
  {
    ServerProcess server({"--binary=1", "cat"});
    auto client = connect_to(server);
    ASSERT_TRUE(client->send_binary("bin"));
    std::string echoed;
    while (echoed.size() < 3) {
      WsEvent event = client->read(5s);
      ASSERT_EQ(event.kind, EventKind::binary) << describe(event);
      echoed += event.data;
    }
    EXPECT_EQ(echoed, "bin");
  }
}

TEST(CommandLine, VersionNamesWsexecAndTheWebsocketdLine) {
  RunResult result = expect_exit({"--version"}, 0);
  EXPECT_EQ(result.out.rfind("wsexec ", 0), 0u) << result.out;
  EXPECT_TRUE(contains(result.out, "websocketd")) << result.out;
  EXPECT_TRUE(contains(result.out, "0.5")) << result.out;
}

TEST(CommandLine, LicensePrintsTheLicenseFileAndExits0) {
  RunResult result = expect_exit({"--license"}, 0);
  const std::string license_file = read_file(WSEXEC_SOURCE_DIR "/LICENSE");
  ASSERT_FALSE(license_file.empty());
  // The version line, then the file as it is in the repository.
  const std::string version_line = result.out.substr(0, result.out.find('\n') + 1);
  EXPECT_TRUE(version_line.starts_with("wsexec ")) << result.out;
  EXPECT_EQ(result.out.substr(version_line.size()), license_file);
}

TEST(CommandLine, HelpListsEveryOptionWithTwoDashes) {
  RunResult result = expect_exit({"--help"}, 0);
  const std::string help = result.out + result.err;
  for (const char* option :
       {"port",        "address",       "unixsocket", "redirport", "ssl",     "sslcert",
        "sslkey",      "sslca",         "sameorigin", "origin",    "passenv", "binary",
        "passstderr",  "reverselookup", "dir",        "staticdir", "cgidir",  "devconsole",
        "maxforks",    "maxframesize",  "closems",    "pingms",    "header",  "header-ws",
        "header-http", "loglevel",      "help",       "version",   "license"}) {
    // "--dir" must not be satisfied by "--dirty" or "--header" by "--header-ws".
    std::regex exact("--" + std::string(option) + "([^-a-z]|$)");
    EXPECT_TRUE(std::regex_search(help, exact)) << "--help does not list --" << option;
  }
}

TEST(CommandLine, PortInUseExits1WithTheSystemsReason) {
  const std::uint16_t port = free_port();
  ListeningSocket taken(port);
  RunResult result =
      expect_exit({"--port=" + std::to_string(port), "--address=127.0.0.1", "cat"}, 1);
  EXPECT_TRUE(contains(result.out + result.err, "address already in use"))
      << "stdout: " << result.out << "\nstderr: " << result.err;
}

TEST(CommandLine, Ipv6AddressInBracketsWorksAlongsideIpv4) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  const std::uint16_t port = free_port();
  ServerOptions options;
  options.args = {"--port=" + std::to_string(port), "--address=[::1]", "--address=127.0.0.1",
                  "cat"};
  options.add_listen_args = false;
  options.port = port;
  ServerProcess server(std::move(options));
  for (const char* address : {"::1", "127.0.0.1"}) {
    SCOPED_TRACE(address);
    ConnectOptions connect;
    connect.address = address;
    connect.port = port;
    // Both listeners must be up, not just the first one to appear.
    std::unique_ptr<WsClient> client;
    ASSERT_TRUE(wait_until(
        [&] { return (client = WsClient::handshake(connect).client) != nullptr; }, 5s, 20ms));
    ASSERT_TRUE(client->send_text("over v6 and v4"));
    EXPECT_TRUE(IsText(client->read(5s), "over v6 and v4"));
  }
}

}  // namespace
}  // namespace wsexec_test
