// --user and --group (issue 15, item 4): the server binds and reads its TLS
// key as root, then becomes the user for good; the programs run as it.
// These tests need root (they run as root in CI) and the user nobody.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"
#include "test_pki.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

// nobody's uid as text, or "" when the test cannot switch users.
std::string nobody_uid() {
  const passwd* nobody = ::getpwnam("nobody");
  if (::geteuid() != 0 || nobody == nullptr) return "";
  return std::to_string(nobody->pw_uid);
}

// The first field of a line of /proc/PID/status ("Uid:", "Groups:").
std::string status_field(pid_t pid, const std::string& name) {
  for (const auto& line : split_lines(read_file("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.starts_with(name)) return line.substr(name.size());
  }
  return "";
}

TEST(RunAsUser, ProgramsAndTheServerRunAsTheUserWithItsGroupsOnly) {
  const std::string uid = nobody_uid();
  if (uid.empty()) GTEST_SKIP() << "needs root and a user named nobody";
  ServerProcess server({"--user=nobody", "sh", "-c", "id -u; id -G"});
  auto client = connect_to(server);
  EXPECT_TRUE(IsText(client->read(5s), uid)) << server.diagnostics();
  const WsEvent groups = client->read(5s);
  EXPECT_EQ(groups.kind, EventKind::text);
  EXPECT_FALSE(contains(" " + groups.data + " ", " 0 ")) << "root's group kept: " << groups.data;

  const std::string expected_ids = "\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid;
  EXPECT_EQ(status_field(server.pid(), "Uid:"), expected_ids);
  EXPECT_TRUE(server.wait_for_log_line({"| INFO", "Running as user nobody"}).has_value())
      << server.diagnostics();
}

TEST(RunAsUser, AKeyOnlyRootCanReadStillServesTlsAndReloadKeepsIt) {
  if (nobody_uid().empty()) GTEST_SKIP() << "needs root and a user named nobody";
  TempDir dir;
  const std::string key = dir.file("privkey.pem");
  fs::copy_file(shared_pki().server.key, key);
  ::chmod(key.c_str(), 0600);  // root's alone
  ServerOptions options;
  options.args = {"--ssl", "--sslcert=" + shared_pki().server.certificate, "--sslkey=" + key,
                  "--user=nobody", "cat"};
  options.startup_timeout = 20000ms;
  ServerProcess server(options);

  ConnectOptions connect = client_options(server);
  connect.tls.emplace();
  connect.tls->ca_file = shared_pki().ca_certificate;
  auto client = WsClient::connect(connect);
  ASSERT_TRUE(client->send_text("secret", 5s));
  EXPECT_TRUE(IsText(client->read(5s), "secret")) << server.diagnostics();

  // As documented: a reload as nobody cannot read root's files, keeps the
  // old certificate, says so, and serves on.
  server.send_signal(SIGHUP);
  EXPECT_TRUE(
      server.wait_for_log_line({"SIGHUP: keeping the old TLS certificate", "Permission denied"})
          .has_value())
      << server.diagnostics();
  auto after_reload = WsClient::connect(connect);
  ASSERT_TRUE(after_reload->send_text("still", 5s));
  EXPECT_TRUE(IsText(after_reload->read(5s), "still"));
}

TEST(RunAsUser, SighupReloadWorksWhenTheUserCanReadTheFiles) {
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody_uid().empty()) GTEST_SKIP() << "needs root and a user named nobody";
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);  // mkdtemp makes it root's alone
  const std::string certificate = dir.file("fullchain.pem");
  const std::string key = dir.file("privkey.pem");
  fs::copy_file(shared_pki().server.certificate, certificate);
  fs::copy_file(shared_pki().server.key, key);
  ASSERT_EQ(::chown(key.c_str(), nobody->pw_uid, 0), 0);
  ::chmod(key.c_str(), 0400);  // the user's alone, as a deployment would have it
  ::chmod(certificate.c_str(), 0644);
  ServerOptions options;
  options.args = {"--ssl", "--sslcert=" + certificate, "--sslkey=" + key, "--user=nobody", "cat"};
  options.startup_timeout = 20000ms;
  ServerProcess server(options);

  server.send_signal(SIGHUP);
  EXPECT_TRUE(
      server.wait_for_log_line({"SIGHUP: reloaded the TLS certificate, key and CA"}).has_value())
      << server.diagnostics();
  ConnectOptions connect = client_options(server);
  connect.tls.emplace();
  connect.tls->ca_file = shared_pki().ca_certificate;
  auto client = WsClient::connect(connect);
  ASSERT_TRUE(client->send_text("after reload", 5s));
  EXPECT_TRUE(IsText(client->read(5s), "after reload"));
}

TEST(RunAsUser, UnknownUserOrGroupIsAStartupErrorNamingIt) {
  for (const auto& [args, named] :
       {std::pair{std::vector<std::string>{"--user=no-such-user-wsexec", "cat"},
                  std::string("--user no-such-user-wsexec: no such user")},
        std::pair{std::vector<std::string>{"--user=root", "--group=no-such-group-wsexec", "cat"},
                  std::string("--group no-such-group-wsexec: no such group")}}) {
    const RunResult result = run_to_exit(args);
    ASSERT_TRUE(result.status.has_value());
    EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
    EXPECT_TRUE(contains(result.err, named)) << result.err;
  }
}

TEST(RunAsUser, AsRootWithoutUserTheLogSaysProgramsRunAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  ServerProcess server({"cat"});
  const auto line = server.wait_for_log_line({"| INFO", "Running as root"});
  ASSERT_TRUE(line.has_value()) << server.diagnostics();
  EXPECT_TRUE(contains(*line, "--user=NAME")) << *line;
}

}  // namespace
}  // namespace wsexec_test
