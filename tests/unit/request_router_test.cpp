#include "core/request_router.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "fake_tree.hpp"

namespace wsexec {
namespace {

using Action = RouteDecision::Action;

FakeTree scripts() {
  return FakeTree({
      {"hello.sh", EntryKind::executable_file},
      {"sub", EntryKind::directory},
      {"sub/deep.sh", EntryKind::executable_file},
      {"readme.txt", EntryKind::regular_file},
      {"out.sh", EntryKind::escapes_root},
  });
}

FakeTree files() {
  return FakeTree({
      {"index.html", EntryKind::regular_file},
      {"page.txt", EntryKind::regular_file},
      {"docs", EntryKind::directory},
      {"docs/index.html", EntryKind::regular_file},
      {"cgi", EntryKind::directory},
      {"cgi/run.sh", EntryKind::executable_file},
  });
}

RequestHeadFacts upgrade_to(std::string_view target) {
  RequestHeadFacts request;
  request.target = target;
  request.websocket_upgrade = true;
  request.host = "example.com:8080";
  request.websocket_key = "dGhlIHNhbXBsZSBub25jZQ==";
  request.websocket_key_count = 1;
  return request;
}

RequestHeadFacts plain_get(std::string_view target, HttpMethod method = HttpMethod::get) {
  RequestHeadFacts request;
  request.method = method;
  request.target = target;
  request.host = "example.com:8080";
  return request;
}

TEST(RequestRouter, RedirectListenerSendsEveryRequestToTheCanonicalUrl) {
  RouterSettings settings;
  settings.port = 8080;
  RequestHeadFacts request = plain_get("/a/b?c=d");
  request.on_redirect_listener = true;
  request.host = "example.com:80";
  const RouteDecision decision = route_request(request, settings);
  EXPECT_EQ(decision.action, Action::redirect);
  EXPECT_EQ(decision.status, 301u);
  EXPECT_EQ(decision.location, "http://example.com:8080/a/b?c=d");
}

TEST(RequestRouter, RedirectToTlsOnItsDefaultPortNamesNoPortAndBracketsIpv6) {
  RouterSettings settings;
  settings.port = 443;
  settings.tls = true;
  RequestHeadFacts request = upgrade_to("/x");
  request.on_redirect_listener = true;
  request.host = "[::1]:80";
  EXPECT_EQ(route_request(request, settings).location, "https://[::1]/x");
  request.host = std::nullopt;
  EXPECT_EQ(route_request(request, settings).location, "https://localhost/x");
}

TEST(RequestRouter, UpgradeFromARefusedOriginIs403WithTheOriginLogged) {
  OriginPolicy policy;
  policy.same_origin = true;
  RouterSettings settings;
  settings.has_command = true;
  settings.origin_policy = &policy;
  RequestHeadFacts request = upgrade_to("/");
  request.origin = "http://evil.example";
  const RouteDecision decision = route_request(request, settings);
  EXPECT_EQ(decision.action, Action::refuse);
  EXPECT_EQ(decision.status, 403u);
  EXPECT_EQ(decision.log_detail, "origin:'http://evil.example'");
  request.origin = "http://example.com:8080";
  EXPECT_EQ(route_request(request, settings).action, Action::upgrade_command);
}

TEST(RequestRouter, UpgradeInCommandModeRunsTheCommandWhateverThePath) {
  RouterSettings settings;
  settings.has_command = true;
  EXPECT_EQ(route_request(upgrade_to("/any/path/../x"), settings).action, Action::upgrade_command);
}

TEST(RequestRouter, UpgradeUnderDirRunsTheScriptThePathNames) {
  FakeTree tree = scripts();
  RouterSettings settings;
  settings.script_dir = tree.lookup();
  const RouteDecision decision = route_request(upgrade_to("/sub/deep.sh/extra?q=1"), settings);
  EXPECT_EQ(decision.action, Action::upgrade_script);
  EXPECT_EQ(decision.script.relative_path, "sub/deep.sh");
  EXPECT_EQ(decision.script.path_info, "/extra");
}

TEST(RequestRouter, UpgradeUnderDirToWhatIsNoScriptIs404AndToAnEscapeIs403) {
  FakeTree tree = scripts();
  RouterSettings settings;
  settings.script_dir = tree.lookup();
  EXPECT_EQ(route_request(upgrade_to("/readme.txt"), settings).status, 404u);
  EXPECT_EQ(route_request(upgrade_to("/out.sh"), settings).status, 403u);
}

TEST(RequestRouter, UpgradeWithDotDotStayingInsideDirIsRedirectedToTheNormalisedPath) {
  FakeTree tree = scripts();
  RouterSettings settings;
  settings.script_dir = tree.lookup();
  const RouteDecision decision = route_request(upgrade_to("/sub/../hello.sh?x=1"), settings);
  EXPECT_EQ(decision.action, Action::redirect);
  EXPECT_EQ(decision.status, 301u);
  EXPECT_EQ(decision.location, "/hello.sh?x=1");
  EXPECT_TRUE(tree.asked().empty()) << "decided before any lookup";
}

TEST(RequestRouter, UpgradeWithDotDotEscapingDirIs403BeforeAnyLookup) {
  FakeTree tree = scripts();
  RouterSettings settings;
  settings.script_dir = tree.lookup();
  for (const char* target : {"/../hello.sh", "/sub/%2e%2e/%2E%2E/x.sh", "/hello.sh/../../x"}) {
    const RouteDecision decision = route_request(upgrade_to(target), settings);
    EXPECT_EQ(decision.action, Action::refuse) << target;
    EXPECT_EQ(decision.status, 403u) << target;
  }
  EXPECT_TRUE(tree.asked().empty());
}

TEST(RequestRouter, UpgradeOnAPlainHttpServerIs404) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  EXPECT_EQ(route_request(upgrade_to("/index.html"), settings).status, 404u);
}

TEST(RequestRouter, DevConsoleAnswersEveryPlainGetOrHeadAndRefusesOtherMethods) {
  RouterSettings settings;
  settings.has_command = true;
  settings.dev_console = true;
  EXPECT_EQ(route_request(plain_get("/anything"), settings).action, Action::dev_console);
  EXPECT_EQ(route_request(plain_get("/", HttpMethod::head), settings).action, Action::dev_console);
  const RouteDecision post = route_request(plain_get("/", HttpMethod::other), settings);
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.allow, "GET, HEAD");
}

TEST(RequestRouter, ClientScriptIsServedWhateverElseIsConfigured) {
  FakeTree tree = files();
  RouterSettings command_only;
  command_only.has_command = true;
  RouterSettings console;
  console.has_command = true;
  console.dev_console = true;
  RouterSettings static_only;
  static_only.static_dir = tree.lookup();
  for (const RouterSettings* settings : {&command_only, &console, &static_only}) {
    EXPECT_EQ(route_request(plain_get("/.wsexec/client.js"), *settings).action,
              Action::client_script);
    EXPECT_EQ(
        route_request(plain_get("/.wsexec/client.js?v=2", HttpMethod::head), *settings).action,
        Action::client_script);
  }
}

TEST(RequestRouter, ClientScriptRefusesMethodsOtherThanGetAndHead) {
  RouterSettings settings;
  settings.has_command = true;
  const RouteDecision post =
      route_request(plain_get("/.wsexec/client.js", HttpMethod::other), settings);
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.allow, "GET, HEAD");
}

TEST(RequestRouter, ClientScriptPathIsStillAnEndpointForAnUpgrade) {
  RouterSettings settings;
  settings.has_command = true;
  EXPECT_EQ(route_request(upgrade_to("/.wsexec/client.js"), settings).action,
            Action::upgrade_command);
}

TEST(RequestRouter, OtherPathsUnderDotWsexecAreNotTheClientScript) {
  RouterSettings settings;
  settings.has_command = true;
  EXPECT_EQ(route_request(plain_get("/.wsexec/client.jsx"), settings).status, 404u);
}

TEST(RequestRouter, PlainRequestWithoutStaticOrCgiDirIs404) {
  FakeTree tree = scripts();
  RouterSettings settings;
  settings.script_dir = tree.lookup();
  const RouteDecision decision = route_request(plain_get("/hello.sh"), settings);
  EXPECT_EQ(decision.action, Action::refuse);
  EXPECT_EQ(decision.status, 404u);
}

TEST(RequestRouter, ExecutableUnderCgiDirIsACgiScriptForAnyMethod) {
  FakeTree tree = scripts();
  RouterSettings settings;
  settings.cgi_dir = tree.lookup();
  const RouteDecision decision =
      route_request(plain_get("/hello.sh/p", HttpMethod::other), settings);
  EXPECT_EQ(decision.action, Action::cgi);
  EXPECT_EQ(decision.script.script_name, "/hello.sh");
  EXPECT_EQ(decision.script.path_info, "/p");
}

TEST(RequestRouter, CgiDirAloneAnswers403ForAnEscapeAnd404ForTheRest) {
  FakeTree tree = scripts();
  RouterSettings settings;
  settings.cgi_dir = tree.lookup();
  EXPECT_EQ(route_request(plain_get("/out.sh"), settings).status, 403u);
  EXPECT_EQ(route_request(plain_get("/readme.txt"), settings).status, 404u);
}

TEST(RequestRouter, PlainDotDotStayingInsideIsRedirectedAndEscapingIs403) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  const RouteDecision inside = route_request(plain_get("/docs/../page.txt"), settings);
  EXPECT_EQ(inside.action, Action::redirect);
  EXPECT_EQ(inside.location, "/page.txt");
  EXPECT_EQ(route_request(plain_get("/docs/../../page.txt"), settings).status, 403u);
}

TEST(RequestRouter, StaticFileIsServedForGetAndHead) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  const RouteDecision decision = route_request(plain_get("/docs/", HttpMethod::head), settings);
  EXPECT_EQ(decision.action, Action::static_file);
  EXPECT_EQ(decision.file, "docs/index.html");
}

TEST(RequestRouter, StaticFileForAnotherMethodIs405WithAllow) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  const RouteDecision decision = route_request(plain_get("/page.txt", HttpMethod::other), settings);
  EXPECT_EQ(decision.status, 405u);
  EXPECT_EQ(decision.allow, "GET, HEAD");
}

TEST(RequestRouter, StaticDirectoryWithoutSlashIsRedirectedAndMissingIs404) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  EXPECT_EQ(route_request(plain_get("/docs?a=1"), settings).location, "/docs/?a=1");
  EXPECT_EQ(route_request(plain_get("/nothing"), settings).status, 404u);
}

TEST(RequestRouter, StaticFileInsideCgiDirIs403SoNoScriptSourceIsShown) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  settings.inside_cgi_dir = [](const std::string& relative) {
    return relative.starts_with("cgi/");
  };
  EXPECT_EQ(route_request(plain_get("/cgi/run.sh"), settings).status, 403u);
  EXPECT_EQ(route_request(plain_get("/page.txt"), settings).action, Action::static_file);
}

TEST(RequestRouter, CgiScriptComesBeforeAStaticFileAtTheSamePath) {
  FakeTree static_tree = files();
  FakeTree cgi_tree({{"page.txt", EntryKind::executable_file}});
  RouterSettings settings;
  settings.static_dir = static_tree.lookup();
  settings.cgi_dir = cgi_tree.lookup();
  EXPECT_EQ(route_request(plain_get("/page.txt"), settings).action, Action::cgi);
  EXPECT_EQ(route_request(plain_get("/index.html"), settings).action, Action::static_file);
}

TEST(RequestRouter, AHeadWithTwoHostFieldsIs400) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  settings.has_command = true;
  RequestHeadFacts plain = plain_get("/page.txt");
  plain.host_count = 2;
  EXPECT_EQ(route_request(plain, settings).status, 400u);
  RequestHeadFacts upgrade = upgrade_to("/");
  upgrade.host_count = 2;
  EXPECT_EQ(route_request(upgrade, settings).status, 400u);
}

TEST(RequestRouter, AnHttp11HeadWithoutHostIs400ButHttp10NeedsNone) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  RequestHeadFacts request = plain_get("/page.txt");
  request.host.reset();
  request.host_count = 0;
  EXPECT_EQ(route_request(request, settings).status, 400u);
  request.http_version = 10;
  EXPECT_EQ(route_request(request, settings).action, Action::static_file);
}

TEST(RequestRouter, AnUpgradeWithoutExactlyOneValidKeyIs400) {
  RouterSettings settings;
  settings.has_command = true;
  EXPECT_EQ(route_request(upgrade_to("/"), settings).action, Action::upgrade_command);

  RequestHeadFacts missing = upgrade_to("/");
  missing.websocket_key.reset();
  missing.websocket_key_count = 0;
  EXPECT_EQ(route_request(missing, settings).status, 400u);

  RequestHeadFacts repeated = upgrade_to("/");
  repeated.websocket_key_count = 2;
  EXPECT_EQ(route_request(repeated, settings).status, 400u);

  RequestHeadFacts short_key = upgrade_to("/");
  short_key.websocket_key = "dG9vc2hvcnQ=";  // 8 bytes
  EXPECT_EQ(route_request(short_key, settings).status, 400u);
}

TEST(RequestRouter, ATargetWithBytesOutsideAsciiIs400WhateverTheMode) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  settings.has_command = true;
  for (std::string_view target :
       {"/\x80\x81", "/index.html\xff", "/\xc3\xa9", "/a?q=\xe2\x82\xac"}) {
    EXPECT_EQ(route_request(plain_get(target), settings).status, 400u) << target;
    EXPECT_EQ(route_request(upgrade_to(target), settings).status, 400u) << target;
    RequestHeadFacts redirected = plain_get(target);
    redirected.on_redirect_listener = true;
    EXPECT_EQ(route_request(redirected, settings).status, 400u) << target;
  }
  // The same character percent-encoded is a well-formed path, looked up as usual.
  EXPECT_EQ(route_request(plain_get("/%C3%A9"), settings).status, 404u);
}

TEST(RequestRouter, ATargetThatIsNoAbsolutePathIs400) {
  FakeTree tree = files();
  RouterSettings settings;
  settings.static_dir = tree.lookup();
  for (std::string_view target :
       {"", "index.html", "?q", "ftp://example.com/index.html", "example.com:443", "*"}) {
    EXPECT_EQ(route_request(plain_get(target), settings).status, 400u) << target;
    EXPECT_EQ(route_request(plain_get(target, HttpMethod::head), settings).status, 400u) << target;
  }
  // "*" is the target of OPTIONS (RFC 9112 section 3.2.4): not malformed,
  // just not a method a static directory answers.
  EXPECT_EQ(route_request(plain_get("*", HttpMethod::other), settings).status, 405u);
}

}  // namespace
}  // namespace wsexec
