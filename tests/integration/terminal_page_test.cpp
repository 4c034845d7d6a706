// --pty --devconsole: the endpoint's URL serves the terminal page (issue 14,
// item 3). The browser test (tests/browser/terminal_e2e.mjs) drives the page;
// these check what the server sends, and run where Chromium is missing.
#include <string>

#include "harness.hpp"
#include "http_request.hpp"
#include "terminal_common.hpp"
#include "test_helpers.hpp"

namespace wsexec_test {
namespace {

TEST(TerminalPage, PtyDevConsoleServesTheTerminalPageWithXtermBundledIn) {
  TempDir dir;
  const std::string script = dir.write_script("size.sh", "echo \"size $(stty size)\"");
  ServerProcess server({"--pty", "--devconsole", script});
  const PlainHttpResponse page = plain_get(server.port(), "/shell?x=1");
  ASSERT_EQ(page.status, 200) << page.describe() << "\n" << server.diagnostics();
  EXPECT_TRUE(contains(page.header("Content-Type").value_or(""), "text/html"));
  EXPECT_TRUE(page.header("Content-Security-Policy").has_value());
  // The page exposes its terminal, and the modules it starts from are in it.
  EXPECT_TRUE(contains(page.body, "window.term = term"));
  for (const std::string module : {"xterm", "public/Terminal", "Terminal", "addons/fit/fit"}) {
    EXPECT_TRUE(contains(page.body, "xtermRequire.define(\"" + module + "\"")) << module;
  }
  // Both markers were replaced: the CSS and the script are in the page.
  EXPECT_FALSE(contains(page.body, "@XTERM_CSS@"));
  EXPECT_FALSE(contains(page.body, "@XTERM_BUNDLE@"));
  EXPECT_TRUE(contains(page.body, ".xterm-helpers"));

  // The same URL still upgrades to the program, at the size asked for.
  auto client = connect_to(server, "/shell?cols=100&rows=30");
  EXPECT_TRUE(contains(gather_to_end(*client).bytes, "size 30 100\r\n"));
}

TEST(TerminalPage, WithoutPtyTheDevConsoleIsTheLineConsole) {
  ServerProcess server({"--devconsole", "cat"});
  const PlainHttpResponse page = plain_get(server.port(), "/");
  ASSERT_EQ(page.status, 200) << page.describe() << "\n" << server.diagnostics();
  EXPECT_FALSE(contains(page.body, "xtermRequire"));
  EXPECT_TRUE(contains(page.body, "<html"));
}

}  // namespace
}  // namespace wsexec_test
