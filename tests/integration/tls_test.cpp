// TLS (docs/compatibility.md, "TLS and --redirport"; issue 4):
// wss:// and https:// on one port, mutual TLS, start-up checks of the files,
// SIGHUP reload, the redirect port, and clients that never speak TLS.
//
// Every certificate is made at run time by test_pki (openssl CLI): a root CA
// that clients trust, an intermediate that signs the server certificates
// (served as leaf + intermediate, Let's Encrypt's fullchain.pem), client
// certificates from the root and from an unrelated CA.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "test_pki.hpp"

namespace wsexec_test {
namespace {

using Clock = std::chrono::steady_clock;

// Subjects as the client reads them (RFC 2253: most specific first).
constexpr const char* kServerSubject = "CN=localhost,O=wsexec test";
constexpr const char* kClientSubject = "CN=alice,O=Example";

// Generous for a loaded machine; only a failing test waits this long.
constexpr Millis kWait = 10000ms;

// A server with --ssl and these certificate files, plus more options and the
// command (cat unless given).
ServerOptions tls_server(const CertificateFiles& files, std::vector<std::string> options = {},
                         std::vector<std::string> command = {"cat"}) {
  ServerOptions server;
  server.args = {"--ssl", "--sslcert=" + files.certificate, "--sslkey=" + files.key};
  server.args.insert(server.args.end(), options.begin(), options.end());
  server.args.insert(server.args.end(), command.begin(), command.end());
  server.startup_timeout = 20000ms;
  return server;
}

// A client that trusts the test root CA and checks the name "localhost".
TlsOptions trusting_client() {
  TlsOptions tls;
  tls.ca_file = shared_pki().ca_certificate;
  return tls;
}

TlsOptions client_with_certificate(const CertificateFiles& files) {
  TlsOptions tls = trusting_client();
  tls.client_certificate = files.certificate;
  tls.client_key = files.key;
  return tls;
}

ConnectOptions wss_options(const ServerProcess& server, TlsOptions tls = trusting_client(),
                           std::string target = "/") {
  ConnectOptions options = client_options(server, std::move(target));
  options.tls = std::move(tls);
  options.timeout = kWait;
  return options;
}

// One round trip through a cat child.
testing::AssertionResult Echoes(WsClient& client, const std::string& text) {
  if (!client.send_text(text, kWait)) return testing::AssertionFailure() << "send failed";
  return IsText(client.read(kWait), text);
}

// Connects over wss:// and checks one echo; returns the client.
std::unique_ptr<WsClient> connect_and_echo(const ServerProcess& server,
                                           TlsOptions tls = trusting_client()) {
  HandshakeResult result = WsClient::handshake(wss_options(server, std::move(tls)));
  EXPECT_EQ(result.http_status, 101) << result.error << "\n" << server.diagnostics();
  if (!result.client) return nullptr;
  EXPECT_TRUE(Echoes(*result.client, "echo over tls"));
  return std::move(result.client);
}

// What a refused TLS client saw: no upgrade, and a TLS-level failure (under
// TLS 1.3 the client's side of the handshake completes before the server
// rejects its certificate, so the alert then arrives on the first read).
testing::AssertionResult RefusedByTls(const HandshakeResult& result) {
  if (result.client || result.http_status != 0 || result.error.empty()) {
    return testing::AssertionFailure() << "expected a refusal during TLS, got HTTP status "
                                       << result.http_status << " (" << result.error << ")";
  }
  return testing::AssertionSuccess() << result.error;
}

TEST(Tls, WssEchoesThroughCatWithAFullchainCertificate) {
  ServerProcess server(tls_server(shared_pki().server));
  auto announced = server.wait_for_log_line({"wss://"}, kWait);
  EXPECT_TRUE(announced.has_value()) << server.diagnostics();

  // The client trusts only the root CA: the intermediate must come from the
  // server's chain file for the certificate to verify.
  TlsOptions tls = trusting_client();
  tls.alpn = {"h2", "http/1.1"};
  auto client = connect_and_echo(server, tls);
  ASSERT_TRUE(client);
  EXPECT_TRUE(Echoes(*client, "second message"));
  const TlsSessionInfo& session = client->tls();
  EXPECT_TRUE(session.established);
  EXPECT_TRUE(session.version == "TLSv1.3" || session.version == "TLSv1.2") << session.version;
  EXPECT_EQ(session.alpn, "http/1.1");
  EXPECT_EQ(session.server_subject, kServerSubject);
  EXPECT_EQ(session.server_issuer, "CN=wsexec test intermediate CA");
  EXPECT_TRUE(client->close(1000, kWait));
  EXPECT_TRUE(server.wait_for_log_line({"| ACCESS |", "CONNECT", "https://"}, kWait).has_value())
      << server.diagnostics();

  // The certificate also names IP 127.0.0.1, and a client may check that.
  TlsOptions by_address = trusting_client();
  by_address.server_name = "127.0.0.1";
  auto second = connect_and_echo(server, by_address);
  EXPECT_TRUE(second);
}

TEST(Tls, ClientRejectsTheServerUnderAnotherName) {
  // The control for the name checks above: the client does check names.
  ServerProcess server(tls_server(shared_pki().server));
  TlsOptions tls = trusting_client();
  tls.server_name = "not-localhost.example";
  HandshakeResult result = WsClient::handshake(wss_options(server, tls));
  EXPECT_TRUE(RefusedByTls(result));
  EXPECT_TRUE(contains(result.error, "certificate verify failed")) << result.error;
}

TEST(Tls, ChildSeesHttpsOnAndNoClientSubjectWithoutMutualTls) {
  ServerOptions options =
      tls_server(shared_pki().server, {"--passenv=PATH,HTTPS,SSL_CLIENT_S_DN"}, {"/usr/bin/env"});
  // Even when passed through, the parent's values must not describe this
  // connection.
  options.env = {{"HTTPS", "forged"}, {"SSL_CLIENT_S_DN", "CN=forged"}};
  ServerProcess server(std::move(options));
  auto client = WsClient::connect(wss_options(server));
  auto env = parse_env(client->read_until_end(kWait));
  ASSERT_GT(env.size(), 5u) << server.diagnostics();
  EXPECT_EQ(env["HTTPS"], "on");
  EXPECT_EQ(env.count("SSL_CLIENT_S_DN"), 0u) << env["SSL_CLIENT_S_DN"];
}

TEST(Tls, MutualTlsGivesTheChildTheClientSubject) {
  TestPki& pki = shared_pki();
  ServerProcess server(tls_server(pki.server, {"--sslca=" + pki.ca_certificate}, {"/usr/bin/env"}));
  auto client = WsClient::connect(wss_options(server, client_with_certificate(pki.client)));
  auto env = parse_env(client->read_until_end(kWait));
  ASSERT_GT(env.size(), 5u) << server.diagnostics();
  EXPECT_EQ(env["HTTPS"], "on");
  EXPECT_EQ(env["SSL_CLIENT_S_DN"], kClientSubject);
}

TEST(Tls, MutualTlsAcceptsOnlyClientsWithACertificateFromTheCa) {
  TestPki& pki = shared_pki();
  ServerProcess server(tls_server(pki.server, {"--sslca=" + pki.ca_certificate}));

  auto accepted = connect_and_echo(server, client_with_certificate(pki.client));
  ASSERT_TRUE(accepted);

  {
    SCOPED_TRACE("no client certificate");
    HandshakeResult result = WsClient::handshake(wss_options(server));
    EXPECT_TRUE(RefusedByTls(result));
    EXPECT_TRUE(contains(result.error, "alert")) << result.error;
  }
  {
    SCOPED_TRACE("a client certificate from another CA");
    HandshakeResult result =
        WsClient::handshake(wss_options(server, client_with_certificate(pki.other_client)));
    EXPECT_TRUE(RefusedByTls(result));
    EXPECT_TRUE(contains(result.error, "unknown ca")) << result.error;
  }
  EXPECT_TRUE(server.wait_for_log_line({"TLS handshake failed"}, kWait).has_value())
      << server.diagnostics();
  // No session was started for the refused clients: one CONNECT so far.
  int connects = 0;
  for (const std::string& line : server.log_lines()) {
    if (line.ends_with("| CONNECT")) ++connects;
  }
  EXPECT_EQ(connects, 1) << server.diagnostics();
  // The accepted connection and new good clients are unaffected.
  EXPECT_TRUE(Echoes(*accepted, "still here"));
  EXPECT_TRUE(connect_and_echo(server, client_with_certificate(pki.client)));
}

TEST(Tls, HttpsRequestsGetHttpAnswersWithTheirHeaders) {
  ServerProcess server(tls_server(
      shared_pki().server, {"--header=X-All: everywhere", "--header-http=X-Http: plain only"}));
  ConnectOptions options = wss_options(server, trusting_client(), "/no/such/page?x=1");
  HttpResult response = http_request(options);
  ASSERT_EQ(response.status, 404) << response.error << "\n" << server.diagnostics();
  EXPECT_TRUE(response.tls.established);
  EXPECT_EQ(response.header("X-All"), "everywhere");
  EXPECT_EQ(response.header("X-Http"), "plain only");
  EXPECT_TRUE(contains(response.body, "404")) << response.body;
  auto line = server.wait_for_log_line({"| ACCESS |", "https://", "/no/such/page"}, kWait);
  EXPECT_TRUE(line.has_value()) << server.diagnostics();
}

TEST(Tls, StaticFilesCgiAndWebSocketsShareTheTlsPort) {
  TempDir dir;
  const std::string www = dir.path() + "/www";
  const std::string cgi = dir.path() + "/cgi";
  std::filesystem::create_directories(www);
  std::filesystem::create_directories(cgi);
  dir.write_file("www/page.txt", "static over tls\n");
  dir.write_script("cgi/env.sh",
                   "printf 'Content-Type: text/plain\\n\\n'\necho \"HTTPS=$HTTPS\"\n");
  ServerProcess server(tls_server(shared_pki().server, {"--staticdir=" + www, "--cgidir=" + cgi}));

  ConnectOptions file = wss_options(server, trusting_client(), "/page.txt");
  HttpResult page = http_request(file);
  ASSERT_EQ(page.status, 200) << page.error << "\n" << server.diagnostics();
  EXPECT_EQ(page.body, "static over tls\n");

  ConnectOptions script = wss_options(server, trusting_client(), "/env.sh");
  HttpResult output = http_request(script);
  ASSERT_EQ(output.status, 200) << output.error << "\n" << server.diagnostics();
  EXPECT_TRUE(contains(output.body, "HTTPS=on")) << output.body;

  EXPECT_TRUE(connect_and_echo(server));  // the endpoint still answers upgrades
}

TEST(Tls, DevConsoleIsServedOverTls) {
  ServerProcess server(tls_server(shared_pki().server, {"--devconsole"}));
  HttpResult page = http_request(wss_options(server, trusting_client(), "/console"));
  ASSERT_EQ(page.status, 200) << page.error << "\n" << server.diagnostics();
  EXPECT_TRUE(contains(page.header("Content-Type"), "text/html"));
  EXPECT_TRUE(contains(page.body, "<html")) << page.body.substr(0, 200);
}

TEST(Tls, OldProtocolVersionsAreRefused) {
  ServerProcess server(tls_server(shared_pki().server));
  for (TlsVersion old : {TlsVersion::tls1_1, TlsVersion::tls1_0}) {
    SCOPED_TRACE(old == TlsVersion::tls1_1 ? "TLS 1.1" : "TLS 1.0");
    TlsOptions tls = trusting_client();
    tls.min_version = old;
    tls.max_version = old;
    HandshakeResult result = WsClient::handshake(wss_options(server, tls));
    EXPECT_TRUE(RefusedByTls(result));
    EXPECT_TRUE(contains(result.error, "TLS handshake failed")) << result.error;
    // The server said no (a protocol_version alert); the client offered it.
    EXPECT_TRUE(contains(result.error, "protocol version")) << result.error;
  }
  // TLS 1.2 is the minimum, and it works.
  TlsOptions tls12 = trusting_client();
  tls12.max_version = TlsVersion::tls1_2;
  auto client = connect_and_echo(server, tls12);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->tls().version, "TLSv1.2");
}

TEST(Tls, PlainHttpOnTheTlsPortIsNotAnsweredInClear) {
  ServerProcess server(tls_server(shared_pki().server));
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  const std::vector<std::pair<const char*, std::string>> requests = {
      {"plain GET", "GET / HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"},
      {"ws:// upgrade", upgrade_request(host)},
  };
  for (const auto& [what, request] : requests) {
    SCOPED_TRACE(what);
    RawConnection raw("127.0.0.1", server.port());
    ASSERT_TRUE(raw.send_all(request));
    bool closed = false;
    std::string answer = raw.read_until_closed(kWait, &closed);
    EXPECT_TRUE(closed) << "the server kept the connection open";
    EXPECT_FALSE(contains(answer, "HTTP/")) << "answered in clear: " << answer;
  }
  {
    SCOPED_TRACE("a ws:// client");
    ConnectOptions plain = client_options(server);
    plain.timeout = kWait;
    HandshakeResult result = WsClient::handshake(plain);
    EXPECT_EQ(result.http_status, 0) << result.error;
    EXPECT_FALSE(result.client);
  }
  EXPECT_TRUE(connect_and_echo(server)) << "the server stopped serving TLS clients";
}

// --- Start-up checks ---------------------------------------------------------

struct BadSetup {
  std::vector<std::string> args;   // TLS options (the port and cat are added)
  std::vector<std::string> named;  // what the one error sentence must contain
};

struct BadSetupCase {
  const char* name;
  std::function<BadSetup(const TestPki& pki, const TempDir& dir)> make;
};

void PrintTo(const BadSetupCase& value, std::ostream* out) {
  *out << value.name;
}

class TlsBadSetupTest : public testing::TestWithParam<BadSetupCase> {};

// Exit 1 before listening, with one sentence on stderr.
void expect_startup_error(const std::vector<std::string>& tls_args,
                          const std::vector<std::string>& named) {
  const std::uint16_t port = free_port();
  std::vector<std::string> args = {"--port=" + std::to_string(port), "--address=127.0.0.1"};
  args.insert(args.end(), tls_args.begin(), tls_args.end());
  args.push_back("cat");
  std::string shown;
  for (const auto& arg : args) shown += " " + arg;
  RunResult result = run_to_exit(args, 15000ms);
  ASSERT_TRUE(result.status.has_value()) << "still running:" << shown << "\n" << result.out;
  EXPECT_TRUE(result.status->exited && result.status->code == 1)
      << shown << ": " << describe(*result.status) << "\nstderr: " << result.err;
  const std::vector<std::string> lines = split_lines(result.err);
  EXPECT_EQ(lines.size(), 1u) << "not one sentence: " << result.err;
  for (const std::string& fragment : named) {
    EXPECT_TRUE(contains(result.err, fragment))
        << "stderr does not say '" << fragment << "': " << result.err;
  }
  EXPECT_FALSE(contains(result.out, "Starting")) << "it listened first: " << result.out;
}

TEST_P(TlsBadSetupTest, Exits1BeforeListeningWithOneSentence) {
  TempDir dir;
  BadSetup setup = GetParam().make(shared_pki(), dir);
  expect_startup_error(setup.args, setup.named);
}

std::string bad_setup_name(const testing::TestParamInfo<BadSetupCase>& info) {
  return info.param.name;
}

std::string cert_arg(const std::string& path) {
  return "--sslcert=" + path;
}
std::string key_arg(const std::string& path) {
  return "--sslkey=" + path;
}

INSTANTIATE_TEST_SUITE_P(
    Tls, TlsBadSetupTest,
    testing::Values(
        BadSetupCase{"SslAlone",
                     [](const TestPki&, const TempDir&) {
                       return BadSetup{{"--ssl"}, {"--ssl", "--sslcert", "--sslkey"}};
                     }},
        BadSetupCase{"SslWithoutKey",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{{"--ssl", cert_arg(pki.server.certificate)}, {"--sslkey"}};
                     }},
        BadSetupCase{"SslWithoutCertificate",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{{"--ssl", key_arg(pki.server.key)}, {"--sslcert"}};
                     }},
        BadSetupCase{"SslcertWithoutSsl",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{{cert_arg(pki.server.certificate), key_arg(pki.server.key)},
                                       {"--sslcert", "--ssl"}};
                     }},
        BadSetupCase{"SslcaWithoutSsl",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{{"--sslca=" + pki.ca_certificate}, {"--sslca", "--ssl"}};
                     }},
        BadSetupCase{"MissingCertificateFile",
                     [](const TestPki& pki, const TempDir& dir) {
                       const std::string missing = dir.file("missing-fullchain.pem");
                       return BadSetup{{"--ssl", cert_arg(missing), key_arg(pki.server.key)},
                                       {"--sslcert", missing, "No such file"}};
                     }},
        BadSetupCase{"CertificateIsADirectory",
                     [](const TestPki& pki, const TempDir& dir) {
                       return BadSetup{{"--ssl", cert_arg(dir.path()), key_arg(pki.server.key)},
                                       {"--sslcert", dir.path()}};
                     }},
        BadSetupCase{"GarbageCertificate",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{
                           {"--ssl", cert_arg(pki.garbage_pem), key_arg(pki.server.key)},
                           {"--sslcert", pki.garbage_pem}};
                     }},
        BadSetupCase{"MissingKeyFile",
                     [](const TestPki& pki, const TempDir& dir) {
                       const std::string missing = dir.file("missing-privkey.pem");
                       return BadSetup{
                           {"--ssl", cert_arg(pki.server.certificate), key_arg(missing)},
                           {"--sslkey", missing, "No such file"}};
                     }},
        BadSetupCase{"GarbageKey",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{
                           {"--ssl", cert_arg(pki.server.certificate), key_arg(pki.garbage_pem)},
                           {"--sslkey", pki.garbage_pem}};
                     }},
        BadSetupCase{"KeyDoesNotMatchTheCertificate",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{
                           {"--ssl", cert_arg(pki.server.certificate), key_arg(pki.unrelated_key)},
                           {"--sslkey", pki.unrelated_key, "does not match"}};
                     }},
        BadSetupCase{"GarbageCaFile",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{{"--ssl", cert_arg(pki.server.certificate),
                                        key_arg(pki.server.key), "--sslca=" + pki.garbage_pem},
                                       {"--sslca", pki.garbage_pem}};
                     }},
        BadSetupCase{"CaFileHoldsNoCertificate",
                     [](const TestPki& pki, const TempDir&) {
                       return BadSetup{{"--ssl", cert_arg(pki.server.certificate),
                                        key_arg(pki.server.key), "--sslca=" + pki.unrelated_key},
                                       {"--sslca", pki.unrelated_key}};
                     }},
        BadSetupCase{"MissingCaFile",
                     [](const TestPki& pki, const TempDir& dir) {
                       const std::string missing = dir.file("missing-ca.pem");
                       return BadSetup{{"--ssl", cert_arg(pki.server.certificate),
                                        key_arg(pki.server.key), "--sslca=" + missing},
                                       {"--sslca", missing, "No such file"}};
                     }}),
    bad_setup_name);

TEST(Tls, UnreadableCertificateFileExits1) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  TempDir dir;
  const std::string cert =
      copy_file_atomically(shared_pki().server.certificate, dir.file("fullchain.pem"));
  std::filesystem::permissions(cert, std::filesystem::perms::none);
  expect_startup_error({"--ssl", cert_arg(cert), key_arg(shared_pki().server.key)},
                       {"--sslcert", cert, "Permission denied"});
}

TEST(Tls, ExpiredCertificateStartsWithAWarning) {
  ServerProcess server(tls_server(shared_pki().expired_server));
  auto warning = server.wait_for_log_line({"expired"}, kWait);
  ASSERT_TRUE(warning.has_value()) << server.diagnostics();
  EXPECT_TRUE(contains(*warning, shared_pki().expired_server.certificate)) << *warning;
  EXPECT_FALSE(contains(server.error_output(), "expired")) << "the log goes to stdout";

  // A verifying client refuses it, which is what the warning is about...
  HandshakeResult refused = WsClient::handshake(wss_options(server));
  EXPECT_TRUE(RefusedByTls(refused));
  EXPECT_TRUE(contains(refused.error, "expired")) << refused.error;
  // ...and the server does serve it.
  TlsOptions lenient;
  lenient.ca_file = "";
  EXPECT_TRUE(connect_and_echo(server, lenient));
}

// --- SIGHUP ------------------------------------------------------------------

// The server's certificate files, in a directory the test may change.
struct LiveFiles {
  TempDir dir;
  CertificateFiles files;
  explicit LiveFiles(const CertificateFiles& from) {
    files.certificate = copy_file_atomically(from.certificate, dir.file("fullchain.pem"));
    files.key = copy_file_atomically(from.key, dir.file("privkey.pem"));
  }
  void install(const CertificateFiles& from) {
    copy_file_atomically(from.key, files.key);
    copy_file_atomically(from.certificate, files.certificate);
  }
};

TEST(Tls, SighupReloadsTheCertificateWithoutDroppingConnections) {
  TestPki& pki = shared_pki();
  LiveFiles live(pki.server);
  ServerProcess server(tls_server(live.files));
  auto old_client = connect_and_echo(server);
  ASSERT_TRUE(old_client);
  const TlsSessionInfo before = old_client->tls();
  EXPECT_EQ(before.server_subject, kServerSubject);

  live.install(pki.issue_server_certificate("reloaded.localhost"));
  server.send_signal(SIGHUP);
  auto reloaded = server.wait_for_log_line({"SIGHUP", "reloaded"}, kWait);
  ASSERT_TRUE(reloaded.has_value()) << server.diagnostics();

  auto new_client = connect_and_echo(server);
  ASSERT_TRUE(new_client);
  EXPECT_EQ(new_client->tls().server_subject, "CN=reloaded.localhost,O=wsexec test");
  EXPECT_NE(new_client->tls().server_serial, before.server_serial);
  // The connection opened before the reload is untouched.
  EXPECT_TRUE(Echoes(*old_client, "across the reload"));
  EXPECT_TRUE(Echoes(*new_client, "after the reload"));
  EXPECT_TRUE(server.running());
}

TEST(Tls, SighupWithBrokenFilesKeepsTheOldCertificateAndSaysWhy) {
  TestPki& pki = shared_pki();
  LiveFiles live(pki.server);
  ServerProcess server(tls_server(live.files));
  auto old_client = connect_and_echo(server);
  ASSERT_TRUE(old_client);
  const std::string serial = old_client->tls().server_serial;

  struct Breakage {
    const char* what;
    std::function<void()> apply;
    std::string reason;  // in the log line
  };
  const CertificateFiles fresh = pki.issue_server_certificate("never-served");
  const std::vector<Breakage> breakages = {
      {"garbage certificate",
       [&] { copy_file_atomically(pki.garbage_pem, live.files.certificate); },
       "is not a PEM certificate chain"},
      // A new certificate whose key was not installed with it.
      {"key of another certificate",
       [&] { copy_file_atomically(fresh.certificate, live.files.certificate); }, "does not match"},
      {"missing key", [&] { std::filesystem::remove(live.files.key); }, "No such file"},
  };
  for (const Breakage& breakage : breakages) {
    SCOPED_TRACE(breakage.what);
    breakage.apply();
    server.send_signal(SIGHUP);
    auto line = server.wait_for_log_line({"SIGHUP", "keeping the old", breakage.reason}, kWait);
    EXPECT_TRUE(line.has_value()) << server.diagnostics();
    ASSERT_TRUE(server.running());
    // New connections get the certificate from before.
    auto new_client = connect_and_echo(server);
    ASSERT_TRUE(new_client);
    EXPECT_EQ(new_client->tls().server_serial, serial);
    EXPECT_EQ(new_client->tls().server_subject, kServerSubject);
    EXPECT_TRUE(Echoes(*old_client, "still connected"));
  }
}

TEST(Tls, SighupReloadsTheClientCa) {
  TestPki& pki = shared_pki();
  TempDir dir;
  const std::string ca = copy_file_atomically(pki.other_ca_certificate, dir.file("ca.pem"));
  ServerProcess server(tls_server(pki.server, {"--sslca=" + ca}));
  auto mallory = connect_and_echo(server, client_with_certificate(pki.other_client));
  ASSERT_TRUE(mallory);
  EXPECT_TRUE(
      RefusedByTls(WsClient::handshake(wss_options(server, client_with_certificate(pki.client)))));

  copy_file_atomically(pki.ca_certificate, ca);
  server.send_signal(SIGHUP);
  ASSERT_TRUE(server.wait_for_log_line({"SIGHUP", "reloaded"}, kWait).has_value())
      << server.diagnostics();
  EXPECT_TRUE(connect_and_echo(server, client_with_certificate(pki.client)));
  EXPECT_TRUE(RefusedByTls(
      WsClient::handshake(wss_options(server, client_with_certificate(pki.other_client)))));
  // Accepted under the old CA, the open connection stays.
  EXPECT_TRUE(Echoes(*mallory, "accepted before the reload"));
}

// --- --redirport -------------------------------------------------------------

TEST(Tls, RedirportSendsPlainHttpClientsToHttps) {
  const std::uint16_t port = free_port();
  std::uint16_t redirect_port = free_port();
  while (redirect_port == port) redirect_port = free_port();
  ServerOptions options =
      tls_server(shared_pki().server, {"--redirport=" + std::to_string(redirect_port)});
  options.port = port;
  ServerProcess server(std::move(options));
  ASSERT_TRUE(wait_until([&] { return process_listens_on(server.pid(), redirect_port); }, kWait))
      << listening_report(server.pid(), redirect_port) << "\n"
      << server.diagnostics();

  const std::string redirect = std::to_string(redirect_port);
  const std::string canonical = std::to_string(port);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"example.com:" + redirect, "https://example.com:" + canonical + "/a/b?c=1"},
      {"example.com", "https://example.com:" + canonical + "/a/b?c=1"},
      {"[::1]:" + redirect, "https://[::1]:" + canonical + "/a/b?c=1"},
  };
  for (const auto& [host, location] : cases) {
    SCOPED_TRACE(host);
    ConnectOptions request;
    request.port = redirect_port;
    request.target = "/a/b?c=1";
    request.host_header = host;
    request.timeout = kWait;
    HttpResult response = http_request(request);
    EXPECT_EQ(response.status, 301) << response.error;
    EXPECT_EQ(response.header("Location"), location);
  }
  // The TLS port itself is unchanged.
  EXPECT_TRUE(connect_and_echo(server));
}

// --- Clients that never speak TLS ---------------------------------------------

TEST(Tls, SilentClientIsDroppedAfterTheRequestHeadLimitWhileOthersAreServed) {
  // The server allows 10 s for the TLS handshake plus the request head.
  ServerProcess server(tls_server(shared_pki().server));
  const auto start = Clock::now();
  RawConnection silent("127.0.0.1", server.port());

  // Meanwhile others are served: right away, and again a few seconds later.
  auto client = connect_and_echo(server);
  ASSERT_TRUE(client);
  std::this_thread::sleep_for(4s);
  EXPECT_TRUE(Echoes(*client, "while a client says nothing"));
  EXPECT_TRUE(connect_and_echo(server));

  bool closed = false;
  const std::string received = silent.read_until_closed(20s, &closed);
  const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - start);
  EXPECT_TRUE(closed) << "still open after " << waited.count() << " ms";
  EXPECT_TRUE(received.empty()) << received;
  EXPECT_GE(waited, 9000ms);
  EXPECT_LE(waited, 13000ms);
  EXPECT_TRUE(Echoes(*client, "after the silent client left"));
}

// Binary mode over TLS: the program's chunks are written as whole frames
// past Beast's write operation, through the TLS stream; a large echo must
// come back whole and in order.
TEST(Tls, BinaryModeEchoesAMebibyteOverTls) {
  ServerProcess server(tls_server(shared_pki().server, {"--binary"}));
  HandshakeResult result = WsClient::handshake(wss_options(server, trusting_client()));
  ASSERT_EQ(result.http_status, 101) << result.error << "\n" << server.diagnostics();
  std::string sent(1 << 20, '\0');
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>((i * 131) >> 7);
  ASSERT_TRUE(result.client->send_binary(sent));
  std::string back;
  while (back.size() < sent.size()) {
    WsEvent event = result.client->read(kWait);
    ASSERT_EQ(event.kind, EventKind::binary) << describe(event) << " after " << back.size();
    back += event.data;
  }
  EXPECT_TRUE(back == sent) << "the echo differs from the mebibyte sent";
}

// Over TLS, a client sends its close frame while our output to it is
// stuck (it reads nothing, the program floods), then resets: the writes
// fail, and the session must end at once. Beast's reply to the close fails
// at the write that failed before it, and no TLS close_notify is tried
// under it (that write would wait for ever, as any after a failed one).
// Well within the 5 s a stalled end gets: this is the reset's path.
TEST(Tls, ACloseFrameWhileOurOutputIsStuckThenAResetEndsTheSessionAtOnce) {
  ServerProcess server(
      tls_server(shared_pki().server, {}, {"sh", "-c", "while :; do printf '%01000d\\n' 7; done"}));
  HandshakeResult result = WsClient::handshake(wss_options(server, trusting_client()));
  ASSERT_EQ(result.http_status, 101) << result.error << "\n" << server.diagnostics();
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).size() == 1; }, kWait, 20ms));
  std::this_thread::sleep_for(1s);  // unread, the flood fills the socket's buffers
  ASSERT_TRUE(result.client->send_close_frame_only(1000));
  std::this_thread::sleep_for(200ms);  // the server reads it; its reply waits behind the flood
  const auto reset_at = Clock::now();
  result.client->abort();  // unread data in our socket: the close is a reset
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, kWait, 20ms));
  EXPECT_LT(Clock::now() - reset_at, 3s) << "ended by the stall's timer, not by the reset";
}

// Over TLS, Beast's teardown after the closing handshake sends our
// close_notify and waits for the client's. A client that sends its close
// frame and then neither reads nor ends anything must not keep its session:
// the worker's sweep closes the socket after one to two of its 1 s periods.
TEST(Tls, AClientThatNeverEndsTlsAfterItsCloseFrameIsLetGo) {
  ServerProcess server(tls_server(shared_pki().server, {}, {"cat"}));
  HandshakeResult result = WsClient::handshake(wss_options(server, trusting_client()));
  ASSERT_EQ(result.http_status, 101) << result.error << "\n" << server.diagnostics();
  ASSERT_TRUE(wait_until([&] { return children_of(server.pid()).size() == 1; }, kWait, 20ms));
  ASSERT_TRUE(result.client->send_close_frame_only(1000));
  const auto closed_at = Clock::now();

  // The client holds its connection, unread, for the whole test.
  EXPECT_TRUE(wait_until([&] { return children_of(server.pid()).empty(); }, 8s, 20ms))
      << "the exited program is still unreaped";
  EXPECT_LT(Clock::now() - closed_at, 4s) << "the wait for close_notify outlasted two periods";
}

}  // namespace
}  // namespace wsexec_test
