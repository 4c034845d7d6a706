// The child's environment (docs/compatibility.md, "The program's environment").
#include <cstdlib>
#include <map>
#include <string>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// The environment seen by an `env` child for one connection.
class ChildEnvironment {
 public:
  explicit ChildEnvironment(const Transcript& transcript) : variables_(parse_env(transcript)) {}
  std::string operator[](const std::string& name) const {
    auto it = variables_.find(name);
    return it == variables_.end() ? "<unset>" : it->second;
  }
  bool has(const std::string& name) const { return variables_.count(name) != 0; }
  std::size_t size() const { return variables_.size(); }

 private:
  std::map<std::string, std::string> variables_;
};

ServerOptions env_server(std::vector<std::string> options = {}) {
  ServerOptions server;
  server.args = std::move(options);
  server.args.push_back("/usr/bin/env");
  // Known values in the server's own environment, so that what the child
  // inherits (or must not) does not depend on how the tests were started.
  server.env = {{"HOME", "/home/wsexec-test"},
                {"WSEXEC_TEST_SECRET", "must-not-leak"},
                {"REMOTE_USER", "must-not-leak"},
                {"CONTENT_TYPE", "must-not-leak"}};
  return server;
}

ChildEnvironment environment_for(WsClient& client) {
  Transcript transcript = client.read_until_end(5s);
  EXPECT_GT(transcript.messages.size(), 5u)
      << "env printed too little; ended with " << describe(transcript.end);
  return ChildEnvironment(transcript);
}

TEST(Environment, CgiVariablesDescribeTheConnectionAndRequest) {
  ServerProcess server(env_server());
  auto client = connect_to(server, "/some/path?a=1&b=two");
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["REMOTE_ADDR"], "127.0.0.1");
  EXPECT_EQ(env["REMOTE_PORT"], std::to_string(client->local_port()));
  EXPECT_EQ(env["SERVER_NAME"], "127.0.0.1");
  EXPECT_EQ(env["SERVER_PORT"], std::to_string(server.port()));
  EXPECT_EQ(env["GATEWAY_INTERFACE"], "CGI/1.1");
  EXPECT_EQ(env["SERVER_PROTOCOL"], "HTTP/1.1");
  EXPECT_EQ(env["REQUEST_METHOD"], "GET");
  EXPECT_EQ(env["REQUEST_URI"], "/some/path?a=1&b=two");
  EXPECT_EQ(env["QUERY_STRING"], "a=1&b=two");
  EXPECT_TRUE(env.has("UNIQUE_ID"));
  EXPECT_NE(env["UNIQUE_ID"], "");
}

TEST(Environment, Ipv4ClientOfTheAllInterfacesListenerIsPlainIpv4) {
  // Without --address the listener is dual-stack; a client on 127.0.0.1
  // must still be REMOTE_ADDR=127.0.0.1, not ::ffff:127.0.0.1.
  ServerOptions options = env_server();
  options.add_listen_args = false;
  options.port = free_port();
  options.args.insert(options.args.begin(), "--port=" + std::to_string(options.port));
  ServerProcess server(options);
  auto client = connect_to(server);
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["REMOTE_ADDR"], "127.0.0.1");
  EXPECT_EQ(env["REMOTE_HOST"], "127.0.0.1");
}

TEST(Environment, ReverseLookupNamesTheRemoteHost) {
  // The child is started only once the name is known; without
  // --reverselookup it starts at once with the address (test above).
  ServerProcess server(env_server({"--reverselookup"}));
  auto client = connect_to(server);
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["REMOTE_ADDR"], "127.0.0.1");
  EXPECT_EQ(env["REMOTE_HOST"], "localhost");  // /etc/hosts names 127.0.0.1 so everywhere
}

TEST(Environment, ServerSoftwareNamesWsexec) {
  ServerProcess server(env_server());
  auto client = connect_to(server);
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["SERVER_SOFTWARE"].rfind("wsexec/", 0), 0u) << env["SERVER_SOFTWARE"];
}

TEST(Environment, ServerNameAndPortComeFromTheHostHeader) {
  ServerProcess server(env_server());
  ConnectOptions options = client_options(server);
  options.host_header = "example.test:8081";
  auto client = WsClient::connect(options);
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["SERVER_NAME"], "example.test");
  EXPECT_EQ(env["SERVER_PORT"], "8081");
}

TEST(Environment, RequestHeadersBecomeHttpVariables) {
  ServerProcess server(env_server());
  ConnectOptions options = client_options(server);
  options.headers = {{"X-Custom", "custom value"}, {"X-Multi-Part-Name", "dashes"}};
  auto client = WsClient::connect(options);
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["HTTP_X_CUSTOM"], "custom value");
  EXPECT_EQ(env["HTTP_X_MULTI_PART_NAME"], "dashes");
}

TEST(Environment, HostHeaderIsPassedAsHttpHost) {
  // docs/compatibility.md, "The program's environment": one HTTP_NAME per
  // request header, Host included (websocketd leaves it out, as Go's HTTP
  // server moves it out of the header map).
  ServerProcess server(env_server());
  auto client = connect_to(server);
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["HTTP_HOST"], "127.0.0.1:" + std::to_string(server.port()));
}

TEST(Environment, OnlyDefaultPassenvVariablesAreInherited) {
  ServerProcess server(env_server());
  auto client = connect_to(server);
  ChildEnvironment env = environment_for(*client);
  EXPECT_FALSE(env.has("HOME")) << "HOME=" << env["HOME"];
  EXPECT_FALSE(env.has("WSEXEC_TEST_SECRET"));
  const char* path = std::getenv("PATH");
  ASSERT_NE(path, nullptr);
  EXPECT_EQ(env["PATH"], path);
}

TEST(Environment, CgiVariablesOfTheParentDoNotLeak) {
  ServerProcess server(env_server());
  auto client = connect_to(server);
  ChildEnvironment env = environment_for(*client);
  // Set empty, so that the server's own values never reach the child.
  for (const char* name :
       {"AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "REMOTE_IDENT", "REMOTE_USER"}) {
    EXPECT_EQ(env[name], "") << name;
  }
}

TEST(Environment, PassenvListChoosesTheInheritedVariables) {
  ServerProcess server(env_server({"--passenv=PATH,HOME"}));
  auto client = connect_to(server);
  ChildEnvironment env = environment_for(*client);
  EXPECT_EQ(env["HOME"], "/home/wsexec-test");
  EXPECT_FALSE(env.has("WSEXEC_TEST_SECRET"));
  EXPECT_TRUE(env.has("PATH"));
}

}  // namespace
}  // namespace wsexec_test
