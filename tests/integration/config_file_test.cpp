// --config=FILE with the real binary: a server set up by its file alone (a
// command argument holding a space), the command line replacing the file's
// values, and every refusal exiting before anything listens.
#include <string>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// The server's stderr for an exit, and no sign that it served anything.
RunResult expect_refused(const std::vector<std::string>& args, int code) {
  RunResult result = run_to_exit(args);
  EXPECT_TRUE(result.status.has_value()) << "still running after 5 s";
  if (result.status) {
    EXPECT_TRUE(result.status->exited && result.status->code == code)
        << describe(*result.status) << ", expected exit code " << code << "\nstdout: " << result.out
        << "\nstderr: " << result.err;
  }
  EXPECT_FALSE(contains(result.out, "Serving")) << "it started serving: " << result.out;
  return result;
}

// A script that sends each of its arguments back as a message.
std::string argument_echo(TempDir& dir) {
  return dir.write_script("args.sh", "printf '%s\\n' \"$@\"\n");
}

TEST(ConfigFileServer, ServesWhatTheFileSaysWithAnArgumentHoldingASpace) {
  TempDir dir;
  const std::string script = argument_echo(dir);
  const std::uint16_t port = free_port();
  const std::string file = dir.write_file("echo.conf",
                                          "# an instance\n"
                                          "port = " +
                                              std::to_string(port) +
                                              "\n"
                                              "address = 127.0.0.1\n"
                                              "header-ws = X-From-File: yes\n"
                                              "command = " +
                                              script + " \"two words\" 'it''s' plain\n");
  ServerOptions options;
  options.args = {"--config=" + file};
  options.add_listen_args = false;
  options.port = port;
  ServerProcess server(std::move(options));

  HandshakeResult handshake = WsClient::handshake(client_options(server));
  ASSERT_TRUE(handshake.client) << handshake.error << "\n" << server.diagnostics();
  EXPECT_EQ(handshake.header("X-From-File"), "yes");
  const Transcript transcript = handshake.client->read_until_end(5s);
  EXPECT_EQ(transcript.texts(), (std::vector<std::string>{"two words", "its", "plain"}));
}

TEST(ConfigFileServer, TheCommandLineReplacesTheFilesPortHeadersAndCommand) {
  TempDir dir;
  const std::string script = argument_echo(dir);
  const std::uint16_t file_port = free_port();
  const std::uint16_t cli_port = free_port();
  ASSERT_NE(file_port, cli_port);
  const std::string file = dir.write_file("x.conf", "port = " + std::to_string(file_port) +
                                                        "\n"
                                                        "address = 127.0.0.1\n"
                                                        "header-ws = X-File: 1\n"
                                                        "header-ws = X-File-Too: 2\n"
                                                        "command = " +
                                                        script + " from-file\n");
  ServerOptions options;
  options.args = {"--config=" + file, "--port=" + std::to_string(cli_port), "--header-ws=X-Cli: 3",
                  script, "from the command line"};
  options.add_listen_args = false;
  options.port = cli_port;
  ServerProcess server(std::move(options));

  HandshakeResult handshake = WsClient::handshake(client_options(server));
  ASSERT_TRUE(handshake.client) << handshake.error << "\n" << server.diagnostics();
  EXPECT_EQ(handshake.header("X-Cli"), "3");
  EXPECT_FALSE(handshake.has_header("X-File"));
  EXPECT_FALSE(handshake.has_header("X-File-Too"));
  EXPECT_EQ(handshake.client->read_until_end(5s).texts(),
            (std::vector<std::string>{"from the command line"}));
  EXPECT_FALSE(process_listens_on(server.pid(), file_port))
      << listening_report(server.pid(), file_port);
}

TEST(ConfigFileServer, AnUnknownOptionExits2NamingTheFileAndLine) {
  TempDir dir;
  const std::string file =
      dir.write_file("bad.conf", "# comment\naddress = 127.0.0.1\nprot = 8080\ncommand = cat\n");
  const RunResult result = expect_refused({"--config=" + file}, 2);
  EXPECT_TRUE(contains(result.err, file + ":3: unknown option \"prot\"")) << result.err;
}

TEST(ConfigFileServer, ABadValueExits1NamingTheFileLineAndOption) {
  TempDir dir;
  const std::string file =
      dir.write_file("bad.conf", "address = 127.0.0.1\n\nport = eighty\ncommand = cat\n");
  const RunResult result = expect_refused({"--config=" + file}, 1);
  EXPECT_TRUE(contains(result.err, file + ":3: --port")) << result.err;
}

TEST(ConfigFileServer, ACommandWithAnOpenQuoteExits1NamingTheLine) {
  TempDir dir;
  const std::string file =
      dir.write_file("bad.conf", "address = 127.0.0.1\ncommand = sh -c 'echo hi\n");
  const RunResult result = expect_refused({"--config=" + file}, 1);
  EXPECT_TRUE(contains(result.err, file + ":2: command: a ' quote is not closed")) << result.err;
}

TEST(ConfigFileServer, AMissingFileExits1WithTheSystemsReason) {
  TempDir dir;
  const std::string missing = dir.file("missing.conf");
  const RunResult result = expect_refused({"--config=" + missing, "cat"}, 1);
  EXPECT_TRUE(contains(
      result.err, "cannot read the configuration file " + missing + ": No such file or directory"))
      << result.err;
}

TEST(ConfigFileServer, ADirectoryExits1WithTheSystemsReason) {
  TempDir dir;
  const RunResult result = expect_refused({"--config=" + dir.path(), "cat"}, 1);
  EXPECT_TRUE(
      contains(result.err, "cannot read the configuration file " + dir.path() + ": Is a directory"))
      << result.err;
}

TEST(ConfigFileServer, AnEndlessFileIsRefusedInsteadOfFillingMemory) {
  const RunResult result = expect_refused({"--config=/dev/zero", "cat"}, 1);
  EXPECT_TRUE(contains(result.err, "/dev/zero: it is larger than 1 MiB")) << result.err;
}

TEST(ConfigFileServer, TwoConfigOptionsExit1) {
  TempDir dir;
  const std::string file = dir.write_file("a.conf", "command = cat\n");
  const RunResult result = expect_refused({"--config=" + file, "--config=" + file}, 1);
  EXPECT_TRUE(contains(result.err, "--config may be given only once")) << result.err;
}

}  // namespace
}  // namespace wsexec_test
