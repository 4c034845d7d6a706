// --dir=DIR (issue 3, item 1): the URL path picks an executable under DIR,
// subdirectories too; SCRIPT_NAME is the script's URL path and PATH_INFO
// what follows it. What is not an executable script is 404, and a path that
// escapes DIR (.., %2e%2e, a symlink out) is 403.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "harness.hpp"
#include "http_request.hpp"

namespace wsexec_test {
namespace {

namespace fs = std::filesystem;

// A script that reports where it was routed, then echoes.
constexpr const char* kWhereAmI =
    "echo \"script=$0|SCRIPT_NAME=$SCRIPT_NAME|PATH_INFO=$PATH_INFO|QUERY_STRING=$QUERY_STRING\"\n"
    "exec cat\n";

// A --dir with a few endpoints: hello.sh, sub/deep.sh, a non-executable
// file, a subdirectory without scripts.
struct ScriptDir {
  TempDir dir;
  std::string root;
  ScriptDir() {
    fs::create_directories(dir.file("endpoints/sub/empty"));
    // The server runs scripts by their real path.
    root = fs::canonical(dir.file("endpoints")).string();
    dir.write_script("endpoints/hello.sh", kWhereAmI);
    dir.write_script("endpoints/other.sh", "echo other\n");
    dir.write_script("endpoints/sub/deep.sh", kWhereAmI);
    dir.write_file("endpoints/readme.txt", "not a script\n", 0644);
    dir.write_file("endpoints/sub/plain.sh", "#!/bin/bash\necho never\n", 0644);
  }
};

HandshakeResult upgrade(const ServerProcess& server, const std::string& target) {
  return WsClient::handshake(client_options(server, target));
}

// Every WebSocket child that starts is logged (CONNECT, with its URL), so a
// script that should not have run shows in the log. A real endpoint is
// visited last as a control: its CONNECT line proves the log is being read
// after the earlier requests were handled.
void expect_only_the_control_ran(const ServerProcess& server) {
  {
    auto client = connect_to(server, "/other.sh");
    ASSERT_TRUE(server.wait_for_log_line({"CONNECT", "/other.sh"}).has_value())
        << server.diagnostics();
  }
  for (const std::string& line : server.log_lines()) {
    if (contains(line, "CONNECT")) {
      EXPECT_TRUE(contains(line, "/other.sh")) << line;
    }
  }
}

TEST(Dir, PathPicksTheScriptWithScriptNameAndPathInfo) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  auto client = connect_to(server, "/hello.sh/extra/bits?x=1&y=2");
  EXPECT_TRUE(IsText(client->read(5s), "script=" + endpoints.root +
                                           "/hello.sh|SCRIPT_NAME=/hello.sh|PATH_INFO=/extra/"
                                           "bits|QUERY_STRING=x=1&y=2"));
  ASSERT_TRUE(client->send_text("echo me"));
  EXPECT_TRUE(IsText(client->read(5s), "echo me"));
}

TEST(Dir, ScriptWithoutExtraPathHasEmptyPathInfo) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  auto client = connect_to(server, "/hello.sh");
  EXPECT_TRUE(IsText(client->read(5s), "script=" + endpoints.root +
                                           "/hello.sh|SCRIPT_NAME=/hello.sh|PATH_INFO=|"
                                           "QUERY_STRING="));
}

TEST(Dir, ScriptsInSubdirectoriesAreEndpointsToo) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  auto client = connect_to(server, "/sub/deep.sh/more");
  EXPECT_TRUE(IsText(client->read(5s), "script=" + endpoints.root +
                                           "/sub/deep.sh|SCRIPT_NAME=/sub/deep.sh|PATH_INFO=/"
                                           "more|QUERY_STRING="));
}

TEST(Dir, EachScriptIsItsOwnEndpoint) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  auto other = connect_to(server, "/other.sh");
  auto hello = connect_to(server, "/hello.sh");
  Transcript other_transcript = other->read_until_end(5s);
  ASSERT_EQ(other_transcript.messages.size(), 1u) << describe(other_transcript.end);
  EXPECT_TRUE(IsText(other_transcript.messages[0], "other"));
  EXPECT_TRUE(IsClose(other_transcript.end, 1000));
  WsEvent first = hello->read(5s);
  EXPECT_TRUE(contains(first.data, "SCRIPT_NAME=/hello.sh|")) << describe(first);
}

TEST(Dir, PercentEncodedNamesAreDecoded) {
  ScriptDir endpoints;
  endpoints.dir.write_script("endpoints/with space.sh", "echo \"$SCRIPT_NAME\"\n");
  ServerProcess server({"--dir=" + endpoints.root});
  auto client = connect_to(server, "/with%20space.sh");
  EXPECT_TRUE(IsText(client->read(5s), "/with space.sh"));
}

TEST(Dir, WhatIsNotAnExecutableScriptIs404) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  for (const char* target : {"/missing.sh", "/readme.txt", "/sub/plain.sh", "/sub", "/sub/",
                             "/sub/empty/", "/", "/missing/hello.sh", "/readme.txt/extra"}) {
    HandshakeResult result = upgrade(server, target);
    EXPECT_EQ(result.http_status, 404) << target << ": " << result.error;
    EXPECT_EQ(result.client, nullptr) << target;
  }
  // No child was started for any of them.
  EXPECT_TRUE(children_of(server.pid()).empty());
}

TEST(Dir, NonExecutableFileIsNotRun) {
  ScriptDir endpoints;
  std::string marker = endpoints.dir.file("ran");
  endpoints.dir.write_file("endpoints/noexec.sh", "#!/bin/bash\ntouch '" + marker + "'\n", 0644);
  ServerProcess server({"--dir=" + endpoints.root});
  EXPECT_EQ(upgrade(server, "/noexec.sh").http_status, 404);
  expect_only_the_control_ran(server);
  EXPECT_FALSE(fs::exists(marker)) << "a non-executable file was run";
}

TEST(Dir, DotDotEscapesAre403) {
  ScriptDir endpoints;
  // An executable right next to DIR: what an escape would reach.
  std::string marker = endpoints.dir.file("escaped");
  endpoints.dir.write_script("outside.sh", "touch '" + marker + "'\necho escaped\n");
  ServerProcess server({"--dir=" + endpoints.root});
  for (const char* target :
       {"/../outside.sh", "/sub/../../outside.sh", "/%2e%2e/outside.sh", "/%2E%2E/outside.sh",
        "/sub/%2e%2e/%2e%2e/outside.sh", "/.%2e/outside.sh", "/hello.sh/../../outside.sh"}) {
    HandshakeResult result = upgrade(server, target);
    EXPECT_EQ(result.http_status, 403) << target << ": " << result.error;
    EXPECT_EQ(result.client, nullptr) << target;
  }
  expect_only_the_control_ran(server);
  EXPECT_FALSE(fs::exists(marker)) << "a script outside --dir was run";
}

// As websocketd's router does: ".." that stays inside DIR is answered with a
// 301 to the normalised path, which then works.
TEST(Dir, DotDotStayingInsideIsRedirectedToTheNormalisedPath) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  HandshakeResult result = upgrade(server, "/sub/../hello.sh?x=1");
  EXPECT_EQ(result.http_status, 301) << result.error;
  EXPECT_EQ(result.client, nullptr);
  auto redirect = server.wait_for_log_line({"| ACCESS |", "/sub/../hello.sh", "MOVED PERMANENTLY"});
  EXPECT_TRUE(redirect.has_value()) << server.diagnostics();
  auto client = connect_to(server, "/hello.sh?x=1");
  WsEvent first = client->read(5s);
  EXPECT_TRUE(contains(first.data, "SCRIPT_NAME=/hello.sh|")) << describe(first);
}

TEST(Dir, SymlinkOutOfTheDirectoryIs403) {
  ScriptDir endpoints;
  TempDir elsewhere;
  std::string marker = elsewhere.file("escaped");
  std::string outside = elsewhere.write_script("outside.sh", "touch '" + marker + "'\n");
  fs::create_directories(elsewhere.file("tree"));
  elsewhere.write_script("tree/inner.sh", "touch '" + marker + "'\n");
  fs::create_symlink(outside, endpoints.root + "/link.sh");
  fs::create_directory_symlink(elsewhere.file("tree"), endpoints.root + "/linkdir");
  ServerProcess server({"--dir=" + endpoints.root});
  EXPECT_EQ(upgrade(server, "/link.sh").http_status, 403);
  EXPECT_EQ(upgrade(server, "/linkdir/inner.sh").http_status, 403);
  expect_only_the_control_ran(server);
  EXPECT_FALSE(fs::exists(marker)) << "a script outside --dir was run through a symlink";
}

TEST(Dir, SymlinkInsideTheDirectoryIsFollowed) {
  ScriptDir endpoints;
  fs::create_symlink(endpoints.root + "/sub/deep.sh", endpoints.root + "/alias.sh");
  ServerProcess server({"--dir=" + endpoints.root});
  auto client = connect_to(server, "/alias.sh");
  WsEvent first = client->read(5s);
  EXPECT_EQ(first.kind, EventKind::text) << describe(first);
  EXPECT_TRUE(contains(first.data, "SCRIPT_NAME=/alias.sh|")) << describe(first);
}

TEST(Dir, RefusalsAreLoggedWithTheirUrl) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  ASSERT_EQ(upgrade(server, "/nothing-here.sh").http_status, 404);
  ASSERT_EQ(upgrade(server, "/%2e%2e/x.sh").http_status, 403);
  auto not_found = server.wait_for_log_line({"| ACCESS |", "/nothing-here.sh", "NOT FOUND"});
  EXPECT_TRUE(not_found.has_value()) << server.diagnostics();
  auto forbidden = server.wait_for_log_line({"| ACCESS |", "/%2e%2e/x.sh", "FORBIDDEN"});
  EXPECT_TRUE(forbidden.has_value()) << server.diagnostics();
  if (not_found) {
    EXPECT_TRUE(contains(log_field(*not_found, "url"), "/nothing-here.sh")) << *not_found;
  }
}

TEST(Dir, PlainGetWithOnlyDirIs404) {
  ScriptDir endpoints;
  ServerProcess server({"--dir=" + endpoints.root});
  PlainHttpResponse response = plain_get(server.port(), "/hello.sh");
  EXPECT_EQ(response.status, 404) << response.describe();
  EXPECT_TRUE(children_of(server.pid()).empty());
}

TEST(Dir, CommandTogetherWithDirIsRefused) {
  ScriptDir endpoints;
  RunResult result =
      run_to_exit({"--port=" + std::to_string(free_port()), "--dir=" + endpoints.root, "cat"});
  ASSERT_TRUE(result.status.has_value()) << "did not exit";
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, "--dir")) << result.err;
}

TEST(Dir, MissingDirectoryIsAStartupError) {
  TempDir dir;
  RunResult result =
      run_to_exit({"--port=" + std::to_string(free_port()), "--dir=" + dir.file("does-not-exist")});
  ASSERT_TRUE(result.status.has_value()) << "did not exit";
  EXPECT_TRUE(result.status->exited && result.status->code == 1) << describe(*result.status);
  EXPECT_TRUE(contains(result.err, "--dir")) << result.err;
}

}  // namespace
}  // namespace wsexec_test
