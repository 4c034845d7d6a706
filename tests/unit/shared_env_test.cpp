#include "core/shared_env.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace wsexec {
namespace {

bool has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

bool has_name(const std::vector<std::string>& env, const std::string& name) {
  return std::any_of(env.begin(), env.end(),
                     [&](const std::string& entry) { return entry.starts_with(name + "="); });
}

std::vector<std::string> environment() {
  SharedProgramFacts facts;
  facts.mode = "addressed";
  facts.script_name = "/chat.py";
  facts.path_translated = "/srv/ws/chat.py";
  facts.local_port = 8080;
  facts.https = true;
  EnvironmentInputs inputs;
  inputs.server_software = "wsexec/test";
  inputs.passenv = {"PATH", "REMOTE_ADDR"};
  inputs.parent_environment = {"PATH=/usr/bin", "REMOTE_ADDR=10.0.0.1", "SECRET=x"};
  return build_shared_environment(facts, inputs);
}

TEST(SharedEnvironment, HasTheServerLevelVariablesAndTheMode) {
  const auto env = environment();
  EXPECT_TRUE(has(env, "WSEXEC_SHARED=addressed"));
  EXPECT_TRUE(has(env, "SERVER_SOFTWARE=wsexec/test"));
  EXPECT_TRUE(has(env, "SERVER_PORT=8080"));
  EXPECT_TRUE(has(env, "SCRIPT_NAME=/chat.py"));
  EXPECT_TRUE(has(env, "PATH_TRANSLATED=/srv/ws/chat.py"));
  EXPECT_TRUE(has(env, "HTTPS=on"));
  EXPECT_TRUE(has(env, "GATEWAY_INTERFACE=CGI/1.1"));
  EXPECT_TRUE(has(env, "PATH=/usr/bin"));
}

TEST(SharedEnvironment, HasNothingAboutOneClientOrTheParentsOtherVariables) {
  const auto env = environment();
  for (const char* name : {"REMOTE_ADDR", "REMOTE_PORT", "REMOTE_HOST", "REQUEST_URI",
                           "QUERY_STRING", "UNIQUE_ID", "SERVER_NAME", "PATH_INFO", "SECRET"}) {
    EXPECT_FALSE(has_name(env, name)) << name;
  }
}

TEST(SharedEnvironment, IsSortedByName) {
  const auto env = environment();
  EXPECT_TRUE(std::is_sorted(env.begin(), env.end()));
}

}  // namespace
}  // namespace wsexec
