#include "core/cgi_env.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace wsexec {
namespace {

RequestFacts basic_request() {
  RequestFacts request;
  request.method = "GET";
  request.target = "/chat?room=1&x=%20y";
  request.headers = {{"Host", "example.com:8080"},
                     {"Upgrade", "websocket"},
                     {"Connection", "Upgrade"},
                     {"Sec-WebSocket-Version", "13"},
                     {"Origin", "http://example.com:8080"}};
  request.remote_addr = "127.0.0.1";
  request.remote_host = "localhost";
  request.remote_port = 54321;
  request.local_port = 8080;
  request.unique_id = "abc123";
  request.script_name = "/";
  request.path_info = "/chat";
  request.path_translated = "/chat";
  return request;
}

EnvironmentInputs basic_inputs() {
  EnvironmentInputs inputs;
  inputs.server_software = "wsexec/0.1.0";
  inputs.passenv = {"PATH", "LD_LIBRARY_PATH"};
  inputs.parent_environment = {"PATH=/usr/bin:/bin", "HOME=/root", "USER=root", "LANG=C.UTF-8"};
  return inputs;
}

// Also checks the promise of no duplicate names.
std::map<std::string, std::string> as_map(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> map;
  for (const std::string& entry : entries) {
    const auto equals = entry.find('=');
    EXPECT_NE(equals, std::string::npos) << entry;
    const bool inserted = map.emplace(entry.substr(0, equals), entry.substr(equals + 1)).second;
    EXPECT_TRUE(inserted) << "duplicate " << entry;
  }
  return map;
}

std::map<std::string, std::string> environment(const RequestFacts& request,
                                               const EnvironmentInputs& inputs = basic_inputs()) {
  return as_map(build_child_environment(request, inputs));
}

TEST(CgiEnvironment, ExactlyTheContractedVariables) {
  const std::map<std::string, std::string> expected = {
      {"AUTH_TYPE", ""},
      {"CONTENT_LENGTH", ""},
      {"CONTENT_TYPE", ""},
      {"GATEWAY_INTERFACE", "CGI/1.1"},
      {"HTTP_CONNECTION", "Upgrade"},
      {"HTTP_HOST", "example.com:8080"},
      {"HTTP_ORIGIN", "http://example.com:8080"},
      {"HTTP_SEC_WEBSOCKET_VERSION", "13"},
      {"HTTP_UPGRADE", "websocket"},
      {"PATH", "/usr/bin:/bin"},
      {"PATH_INFO", "/chat"},
      {"PATH_TRANSLATED", "/chat"},
      {"QUERY_STRING", "room=1&x=%20y"},
      {"REMOTE_ADDR", "127.0.0.1"},
      {"REMOTE_HOST", "localhost"},
      {"REMOTE_IDENT", ""},
      {"REMOTE_PORT", "54321"},
      {"REMOTE_USER", ""},
      {"REQUEST_METHOD", "GET"},
      {"REQUEST_URI", "/chat?room=1&x=%20y"},
      {"SCRIPT_NAME", "/"},
      {"SERVER_NAME", "example.com"},
      {"SERVER_PORT", "8080"},
      {"SERVER_PROTOCOL", "HTTP/1.1"},
      {"SERVER_SOFTWARE", "wsexec/0.1.0"},
      {"UNIQUE_ID", "abc123"},
  };
  EXPECT_EQ(environment(basic_request()), expected);
}

TEST(CgiEnvironment, EntriesAreSortedByName) {
  const std::vector<std::string> entries = build_child_environment(basic_request(), basic_inputs());
  EXPECT_TRUE(std::is_sorted(entries.begin(), entries.end()));
  EXPECT_EQ(entries, build_child_environment(basic_request(), basic_inputs()));
}

TEST(CgiEnvironment, NoQueryStringWithoutQuestionMark) {
  RequestFacts request = basic_request();
  request.target = "/chat";
  const auto env = environment(request);
  EXPECT_EQ(env.at("QUERY_STRING"), "");
  EXPECT_EQ(env.at("REQUEST_URI"), "/chat");
}

TEST(CgiEnvironment, QueryStringIsEverythingAfterTheFirstQuestionMark) {
  RequestFacts request = basic_request();
  request.target = "/a?b=c?d&e=";
  const auto env = environment(request);
  EXPECT_EQ(env.at("QUERY_STRING"), "b=c?d&e=");
  EXPECT_EQ(env.at("REQUEST_URI"), "/a?b=c?d&e=");
  request.target = "/a?";
  EXPECT_EQ(environment(request).at("QUERY_STRING"), "");
}

TEST(CgiEnvironment, HttpsOnlyUnderTls) {
  RequestFacts request = basic_request();
  EXPECT_EQ(environment(request).count("HTTPS"), 0u);
  request.https = true;
  EXPECT_EQ(environment(request).at("HTTPS"), "on");
}

TEST(CgiEnvironment, ClientCertificateSubjectOnlyUnderTls) {
  RequestFacts request = basic_request();
  request.tls_client_subject = "CN=alice,O=Example";
  EXPECT_EQ(environment(request).count("SSL_CLIENT_S_DN"), 0u);
  request.https = true;
  EXPECT_EQ(environment(request).at("SSL_CLIENT_S_DN"), "CN=alice,O=Example");
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv.push_back("SSL_CLIENT_S_DN");
  inputs.parent_environment.push_back("SSL_CLIENT_S_DN=CN=mallory");
  request.tls_client_subject.clear();
  EXPECT_EQ(environment(request, inputs).count("SSL_CLIENT_S_DN"), 0u);
}

TEST(CgiEnvironment, ContentLengthAndTypeDescribeACgiBody) {
  RequestFacts request = basic_request();
  EXPECT_EQ(environment(request).at("CONTENT_LENGTH"), "");
  EXPECT_EQ(environment(request).at("CONTENT_TYPE"), "");
  request.content_length = "42";
  request.content_type = "application/x-www-form-urlencoded";
  const auto env = environment(request);
  EXPECT_EQ(env.at("CONTENT_LENGTH"), "42");
  EXPECT_EQ(env.at("CONTENT_TYPE"), "application/x-www-form-urlencoded");
}

TEST(CgiEnvironment, HttpsIsNeverTakenFromTheParent) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv.push_back("HTTPS");
  inputs.parent_environment.push_back("HTTPS=on");
  RequestFacts request = basic_request();
  EXPECT_EQ(environment(request, inputs).count("HTTPS"), 0u);
  request.https = true;
  EXPECT_EQ(environment(request, inputs).at("HTTPS"), "on");
}

TEST(CgiEnvironmentPassenv, OnlyListedVariablesThatExist) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv = {"PATH", "LANG", "MISSING", "LD_LIBRARY_PATH"};
  const auto env = environment(basic_request(), inputs);
  EXPECT_EQ(env.at("PATH"), "/usr/bin:/bin");
  EXPECT_EQ(env.at("LANG"), "C.UTF-8");
  EXPECT_EQ(env.count("MISSING"), 0u);
  EXPECT_EQ(env.count("LD_LIBRARY_PATH"), 0u);
  EXPECT_EQ(env.count("HOME"), 0u);
  EXPECT_EQ(env.count("USER"), 0u);
}

TEST(CgiEnvironmentPassenv, NothingPassedWhenTheListIsEmpty) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv.clear();
  const auto env = environment(basic_request(), inputs);
  EXPECT_EQ(env.count("PATH"), 0u);
  EXPECT_EQ(env.size(), 25u);
}

TEST(CgiEnvironmentPassenv, NamesMatchExactly) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv = {"PAT", "path", "HOME"};
  inputs.parent_environment = {"PATH=/bin", "HOME=/root", "HOMER=simpson", "X=HOME=trap"};
  const auto env = environment(basic_request(), inputs);
  EXPECT_EQ(env.count("PAT"), 0u);
  EXPECT_EQ(env.count("path"), 0u);
  EXPECT_EQ(env.count("PATH"), 0u);
  EXPECT_EQ(env.at("HOME"), "/root");
}

TEST(CgiEnvironmentPassenv, ValuesAreKeptAsTheyAre) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv = {"EMPTY", "EQUALS"};
  inputs.parent_environment = {"EMPTY=", "EQUALS=a=b"};
  const auto env = environment(basic_request(), inputs);
  EXPECT_EQ(env.at("EMPTY"), "");
  EXPECT_EQ(env.at("EQUALS"), "a=b");
}

TEST(CgiEnvironmentPassenv, FirstOccurrenceInTheParentWins) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv = {"DUP"};
  inputs.parent_environment = {"DUP=first", "DUP=second"};
  EXPECT_EQ(environment(basic_request(), inputs).at("DUP"), "first");
}

TEST(CgiEnvironmentPassenv, MetaVariablesWin) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv = {"REMOTE_ADDR", "CONTENT_TYPE", "GATEWAY_INTERFACE", "HTTP_UPGRADE"};
  inputs.parent_environment = {"REMOTE_ADDR=10.0.0.1", "CONTENT_TYPE=text/evil",
                               "GATEWAY_INTERFACE=CGI/0.9", "HTTP_UPGRADE=nope"};
  const auto env = environment(basic_request(), inputs);
  EXPECT_EQ(env.at("REMOTE_ADDR"), "127.0.0.1");
  EXPECT_EQ(env.at("CONTENT_TYPE"), "");
  EXPECT_EQ(env.at("GATEWAY_INTERFACE"), "CGI/1.1");
  EXPECT_EQ(env.at("HTTP_UPGRADE"), "websocket");
}

TEST(CgiEnvironmentPassenv, HeadersWinOverTheParent) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv = {"HTTP_X_TRACE", "HTTP_X_ONLY_PARENT"};
  inputs.parent_environment = {"HTTP_X_TRACE=parent", "HTTP_X_ONLY_PARENT=kept"};
  RequestFacts request = basic_request();
  request.headers.emplace_back("X-Trace", "client");
  const auto env = environment(request, inputs);
  EXPECT_EQ(env.at("HTTP_X_TRACE"), "client");
  EXPECT_EQ(env.at("HTTP_X_ONLY_PARENT"), "kept");
}

TEST(CgiEnvironmentPassenv, SortedByNameNotByEntry) {
  // "A1=" sorts before "A=" as text ('1' < '='); as names, "A" comes first.
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv = {"A1", "A", "A"};
  inputs.parent_environment = {"A1=x", "A=y"};
  const std::vector<std::string> entries = build_child_environment(basic_request(), inputs);
  ASSERT_GE(entries.size(), 2u);
  EXPECT_EQ(entries[0], "A=y");
  EXPECT_EQ(entries[1], "A1=x");
}

TEST(CgiEnvironmentHeaders, NamesUpperCasedWithUnderscores) {
  RequestFacts request = basic_request();
  request.headers = {{"x-custom-header", "v"}, {"User-Agent", "curl/8"}, {"DNT", "1"}};
  const auto env = environment(request);
  EXPECT_EQ(env.at("HTTP_X_CUSTOM_HEADER"), "v");
  EXPECT_EQ(env.at("HTTP_USER_AGENT"), "curl/8");
  EXPECT_EQ(env.at("HTTP_DNT"), "1");
}

TEST(CgiEnvironmentHeaders, ProxyHeaderNeverBecomesHttpProxy) {
  // httpoxy: HTTP_PROXY in a child's environment is read as a proxy setting.
  RequestFacts request = basic_request();
  request.headers = {{"Proxy", "http://attacker.example:3128"}, {"Proxy-Authorization", "x"}};
  const auto env = environment(request);
  EXPECT_EQ(env.count("HTTP_PROXY"), 0u);
  EXPECT_EQ(env.at("HTTP_PROXY_AUTHORIZATION"), "x");
}

TEST(CgiEnvironmentHeaders, RepeatedHeadersJoinedInOrder) {
  RequestFacts request = basic_request();
  request.headers = {{"X-Multi", "one"}, {"Accept", "a"}, {"x-multi", "two"}, {"X-MULTI", "three"}};
  const auto env = environment(request);
  EXPECT_EQ(env.at("HTTP_X_MULTI"), "one, two, three");
  EXPECT_EQ(env.at("HTTP_ACCEPT"), "a");
}

TEST(CgiEnvironmentHeaders, RepeatsOfSeveralNamesEachJoinedInOrder) {
  RequestFacts request = basic_request();
  request.headers = {{"B", "1"}, {"A", "1"}, {"b", "2"}, {"C", ""}, {"a", "2"}, {"B", "3"}};
  const auto env = environment(request);
  EXPECT_EQ(env.at("HTTP_A"), "1, 2");
  EXPECT_EQ(env.at("HTTP_B"), "1, 2, 3");
  EXPECT_EQ(env.at("HTTP_C"), "");
}

TEST(CgiEnvironmentHeaders, AValueOfOnlyBlanksJoinsAsEmpty) {
  RequestFacts request = basic_request();
  request.headers = {{"X-Blank", " \t\r\n "}, {"X-Blank", "v"}};
  EXPECT_EQ(environment(request).at("HTTP_X_BLANK"), ", v");
}

TEST(CgiEnvironmentHeaders, CarriageReturnAndNewlineBecomeSpaces) {
  RequestFacts request = basic_request();
  request.headers = {{"X-Folded", "first\r\n second"}, {"X-Lf", "a\nb\rc"}};
  const auto env = environment(request);
  EXPECT_EQ(env.at("HTTP_X_FOLDED"), "first   second");
  EXPECT_EQ(env.at("HTTP_X_LF"), "a b c");
}

TEST(CgiEnvironmentHeaders, SurroundingBlanksTrimmedInsideKept) {
  RequestFacts request = basic_request();
  request.headers = {{"X-Pad", "  a  b \t"}, {"X-Pad", "\r\nc\r\n"}};
  EXPECT_EQ(environment(request).at("HTTP_X_PAD"), "a  b, c");
}

TEST(CgiEnvironmentHeaders, EmptyValueIsKept) {
  RequestFacts request = basic_request();
  request.headers = {{"X-Empty", ""}};
  EXPECT_EQ(environment(request).at("HTTP_X_EMPTY"), "");
}

TEST(CgiEnvironmentHeaders, NulCannotCutAValue) {
  RequestFacts request = basic_request();
  request.headers = {{"X-Nul", std::string("a\0b", 3)}};
  EXPECT_EQ(environment(request).at("HTTP_X_NUL"), "a b");
}

TEST(CgiEnvironmentHeaders, NamesThatCannotBeVariablesAreSkipped) {
  RequestFacts request = basic_request();
  request.headers = {{"", "x"}, {"A=B", "x"}, {std::string("N\0L", 3), "x"}, {"Ok", "y"}};
  const auto env = environment(request);
  EXPECT_EQ(env.at("HTTP_OK"), "y");
  EXPECT_EQ(env.count("HTTP_"), 0u);
  EXPECT_EQ(env.count("HTTP_A"), 0u);
  EXPECT_EQ(env.count("HTTP_N"), 0u);
}

TEST(CgiEnvironmentServer, NameAndPortFromHost) {
  RequestFacts request = basic_request();
  request.headers = {{"host", "Example.org:9000"}};
  const auto env = environment(request);
  EXPECT_EQ(env.at("SERVER_NAME"), "Example.org");
  EXPECT_EQ(env.at("SERVER_PORT"), "9000");
}

TEST(CgiEnvironmentServer, PortFallsBackToTheLocalPort) {
  RequestFacts request = basic_request();
  request.headers = {{"Host", "example.org"}};
  request.local_port = 8443;
  const auto env = environment(request);
  EXPECT_EQ(env.at("SERVER_NAME"), "example.org");
  EXPECT_EQ(env.at("SERVER_PORT"), "8443");
}

TEST(CgiEnvironmentServer, IPv6Host) {
  RequestFacts request = basic_request();
  request.headers = {{"Host", "[::1]:8080"}};
  auto env = environment(request);
  EXPECT_EQ(env.at("SERVER_NAME"), "::1");
  EXPECT_EQ(env.at("SERVER_PORT"), "8080");
  request.headers = {{"Host", "[fe80::1]"}};
  request.local_port = 80;
  env = environment(request);
  EXPECT_EQ(env.at("SERVER_NAME"), "fe80::1");
  EXPECT_EQ(env.at("SERVER_PORT"), "80");
}

TEST(CgiEnvironmentServer, NoHostHeader) {
  RequestFacts request = basic_request();
  request.headers.clear();
  request.local_port = 1234;
  const auto env = environment(request);
  EXPECT_EQ(env.at("SERVER_NAME"), "");
  EXPECT_EQ(env.at("SERVER_PORT"), "1234");
  EXPECT_EQ(env.count("HTTP_HOST"), 0u);
}

TEST(CgiEnvironment, DirModeScriptNameAndPathInfo) {
  RequestFacts request = basic_request();
  request.target = "/tools/echo.sh/extra/bits?q";
  request.script_name = "/tools/echo.sh";
  request.path_info = "/extra/bits";
  request.path_translated = "/srv/ws/extra/bits";
  const auto env = environment(request);
  EXPECT_EQ(env.at("SCRIPT_NAME"), "/tools/echo.sh");
  EXPECT_EQ(env.at("PATH_INFO"), "/extra/bits");
  EXPECT_EQ(env.at("PATH_TRANSLATED"), "/srv/ws/extra/bits");
  EXPECT_EQ(env.at("REQUEST_URI"), "/tools/echo.sh/extra/bits?q");
  EXPECT_EQ(env.at("QUERY_STRING"), "q");
}

TEST(CgiEnvironment, IPv6Remote) {
  RequestFacts request = basic_request();
  request.remote_addr = "::1";
  request.remote_host = "::1";
  request.remote_port = 1;
  const auto env = environment(request);
  EXPECT_EQ(env.at("REMOTE_ADDR"), "::1");
  EXPECT_EQ(env.at("REMOTE_HOST"), "::1");
  EXPECT_EQ(env.at("REMOTE_PORT"), "1");
}

TEST(SplitHostHeader, NameAndPort) {
  using Split = std::pair<std::string, std::string>;
  EXPECT_EQ(split_host_header("example.com:8080"), (Split{"example.com", "8080"}));
  EXPECT_EQ(split_host_header("example.com"), (Split{"example.com", ""}));
  EXPECT_EQ(split_host_header("example.com:"), (Split{"example.com", ""}));
  EXPECT_EQ(split_host_header("[::1]:8080"), (Split{"::1", "8080"}));
  EXPECT_EQ(split_host_header("[::1]"), (Split{"::1", ""}));
  EXPECT_EQ(split_host_header("[2001:db8::1]:443"), (Split{"2001:db8::1", "443"}));
  EXPECT_EQ(split_host_header("127.0.0.1:80"), (Split{"127.0.0.1", "80"}));
  EXPECT_EQ(split_host_header(""), (Split{"", ""}));
}

TEST(SplitHostHeader, BareIPv6IsAllName) {
  using Split = std::pair<std::string, std::string>;
  EXPECT_EQ(split_host_header("::1"), (Split{"::1", ""}));
  EXPECT_EQ(split_host_header("fe80::1:2"), (Split{"fe80::1:2", ""}));
}

}  // namespace
}  // namespace wsexec

namespace wsexec {
namespace {

TEST(CgiEnvironmentSubprotocol, TheChosenProtocolIsWebsocketProtocol) {
  RequestFacts request = basic_request();
  request.websocket_protocol = "chat.v2";
  EXPECT_EQ(environment(request).at("WEBSOCKET_PROTOCOL"), "chat.v2");
}

TEST(CgiEnvironmentSubprotocol, AbsentWhenNoneWasChosenEvenIfTheParentHasIt) {
  EnvironmentInputs inputs = basic_inputs();
  inputs.passenv.push_back("WEBSOCKET_PROTOCOL");
  inputs.parent_environment.push_back("WEBSOCKET_PROTOCOL=forged");
  RequestFacts request = basic_request();
  EXPECT_EQ(environment(request, inputs).count("WEBSOCKET_PROTOCOL"), 0u);
  request.websocket_protocol = "json";
  EXPECT_EQ(environment(request, inputs).at("WEBSOCKET_PROTOCOL"), "json");
}

}  // namespace
}  // namespace wsexec
