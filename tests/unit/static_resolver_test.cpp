#include "core/static_resolver.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/url_path.hpp"
#include "fake_tree.hpp"

namespace wsexec {
namespace {

using Outcome = StaticResult::Outcome;

FakeTree www() {
  return FakeTree({
      {"index.html", EntryKind::regular_file},
      {"app.js", EntryKind::regular_file},
      {"run.sh", EntryKind::executable_file},
      {"fifo", EntryKind::other},
      {"site", EntryKind::directory},
      {"site/index.html", EntryKind::regular_file},
      {"site/style.css", EntryKind::regular_file},
      {"site/noindex", EntryKind::directory},
      {"site/noindex/a.txt", EntryKind::regular_file},
      {"site/dirindex", EntryKind::directory},
      {"site/dirindex/index.html", EntryKind::directory},
      {"site/fifoindex", EntryKind::directory},
      {"site/fifoindex/index.html", EntryKind::other},
      {"site/execindex", EntryKind::directory},
      {"site/execindex/index.html", EntryKind::executable_file},
      {"site/evil", EntryKind::directory},
      {"site/evil/index.html", EntryKind::escapes_root},  // a symlink out
      {"site/out", EntryKind::escapes_root},              // a symlink to a directory outside
      {"out", EntryKind::escapes_root},
      {"secret.txt", EntryKind::escapes_root},  // a symlink to a file outside
      {"caf\xC3\xA9", EntryKind::directory},
      {"caf\xC3\xA9/index.html", EntryKind::regular_file},
      {"docs", EntryKind::directory},
      {"docs/r\xC3\xA9sum\xC3\xA9.pdf", EntryKind::regular_file},
      {"my dir", EntryKind::directory},
      {"a+b.txt", EntryKind::regular_file},
  });
}

StaticResult resolve(std::string_view raw_path, std::string_view query = "") {
  FakeTree tree = www();
  return resolve_static(raw_path, query, tree.lookup());
}

void expect_file(std::string_view raw_path, std::string_view relative_path) {
  const StaticResult result = resolve(raw_path);
  EXPECT_EQ(result.outcome, Outcome::file) << raw_path;
  EXPECT_EQ(result.relative_path, relative_path) << raw_path;
  EXPECT_EQ(result.location, "") << raw_path;
}

void expect_redirect(std::string_view raw_path, std::string_view query, std::string_view location) {
  const StaticResult result = resolve(raw_path, query);
  EXPECT_EQ(result.outcome, Outcome::redirect) << raw_path << "?" << query;
  EXPECT_EQ(result.location, location) << raw_path << "?" << query;
  EXPECT_EQ(result.relative_path, "") << raw_path;
}

void expect_outcome(std::string_view raw_path, Outcome expected, std::string_view query = "") {
  const StaticResult result = resolve(raw_path, query);
  EXPECT_EQ(result.outcome, expected) << raw_path;
  EXPECT_EQ(result.relative_path, "") << raw_path;
  EXPECT_EQ(result.location, "") << raw_path;
}

TEST(StaticResolver, RegularFile) {
  expect_file("/app.js", "app.js");
  expect_file("/site/style.css", "site/style.css");
  expect_file("/site/noindex/a.txt", "site/noindex/a.txt");
}

TEST(StaticResolver, ExecutableFileIsServedAsIs) {
  expect_file("/run.sh", "run.sh");
}

TEST(StaticResolver, RootServesItsIndex) {
  expect_file("/", "index.html");
  expect_file("//", "index.html");
  expect_file("/.", "index.html");
  expect_file("/./", "index.html");
  expect_file("/%2e", "index.html");
}

TEST(StaticResolver, IndexHtmlByName) {
  expect_file("/index.html", "index.html");
  expect_file("/site/index.html", "site/index.html");
}

TEST(StaticResolver, DirectoryWithSlashServesItsIndex) {
  expect_file("/site/", "site/index.html");
  expect_file("/site//", "site/index.html");
  expect_file("/site/.", "site/index.html");
  expect_file("/site/%2E", "site/index.html");
  expect_file("/site/execindex/", "site/execindex/index.html");
}

TEST(StaticResolver, DirectoryWithoutIndexIsNotFound) {
  expect_outcome("/site/noindex/", Outcome::not_found);
  expect_outcome("/site/dirindex/", Outcome::not_found);   // index.html is a directory
  expect_outcome("/site/fifoindex/", Outcome::not_found);  // index.html is not a file
  expect_outcome("/my%20dir/", Outcome::not_found);
}

TEST(StaticResolver, IndexThatEscapesIsForbidden) {
  expect_outcome("/site/evil/", Outcome::forbidden);
}

TEST(StaticResolver, DirectoryWithoutSlashRedirects) {
  expect_redirect("/site", "", "/site/");
  expect_redirect("/site/noindex", "", "/site/noindex/");
  expect_redirect("/site/evil", "", "/site/evil/");  // the index is judged after the redirect
}

TEST(StaticResolver, RedirectKeepsTheQuery) {
  expect_redirect("/site", "x=1&y=%20", "/site/?x=1&y=%20");
  expect_redirect("/site", "", "/site/");  // an empty query adds no '?'
}

TEST(StaticResolver, RedirectKeepsTheRawPath) {
  expect_redirect("/%73ite", "", "/%73ite/");
  expect_redirect("/caf%C3%A9", "", "/caf%C3%A9/");
  expect_redirect("/my%20dir", "", "/my%20dir/");
  expect_redirect("/site//noindex", "", "/site//noindex/");
  expect_redirect("/./site", "", "/./site/");
}

TEST(StaticResolver, RedirectNeverLeavesTheSite) {
  // "//site/" would be a protocol-relative URL: the host "site".
  expect_redirect("//site", "", "/site/");
  expect_redirect("///site", "", "/site/");
  expect_redirect("//site//noindex", "", "/site//noindex/");
}

TEST(StaticResolver, NothingUnsafeIsEchoedIntoLocation) {
  expect_outcome("/my dir", Outcome::forbidden);
  expect_outcome("/site", Outcome::forbidden, "a\r\nSet-Cookie: x=1");
  expect_outcome("/site", Outcome::forbidden, "a b");
  expect_outcome("/site", Outcome::forbidden, "a\tb");
  expect_outcome("/site", Outcome::forbidden, std::string_view("a\0b", 3));
  expect_outcome("/site", Outcome::forbidden, "\x7f");
}

TEST(StaticResolver, FileWithTrailingSlashIsNotFound) {
  expect_outcome("/app.js/", Outcome::not_found);
  expect_outcome("/app.js/.", Outcome::not_found);
  expect_outcome("/index.html/", Outcome::not_found);
}

TEST(StaticResolver, BelowAFileIsNotFound) {
  expect_outcome("/app.js/x", Outcome::not_found);
}

TEST(StaticResolver, MissingAndOtherAreNotFound) {
  expect_outcome("/nope.html", Outcome::not_found);
  expect_outcome("/nope/", Outcome::not_found);
  expect_outcome("/site/nope.css", Outcome::not_found);
  expect_outcome("/fifo", Outcome::not_found);
  expect_outcome("/fifo/", Outcome::not_found);
  expect_outcome("/APP.JS", Outcome::not_found);
}

TEST(StaticResolver, DotDotIsForbidden) {
  expect_outcome("/../etc/passwd", Outcome::forbidden);
  expect_outcome("/site/../index.html", Outcome::forbidden);
  expect_outcome("/site/..", Outcome::forbidden);
  expect_outcome("/..", Outcome::forbidden);
}

TEST(StaticResolver, EncodedDotDotIsForbidden) {
  expect_outcome("/%2e%2e/etc/passwd", Outcome::forbidden);
  expect_outcome("/%2E%2E/etc/passwd", Outcome::forbidden);
  expect_outcome("/site/%2e%2e/index.html", Outcome::forbidden);
  expect_outcome("/site/.%2E/", Outcome::forbidden);
  expect_outcome("/site/%2e%2e", Outcome::forbidden);
}

TEST(StaticResolver, EncodedSlashIsForbidden) {
  expect_outcome("/..%2fetc%2fpasswd", Outcome::forbidden);
  expect_outcome("/..%2F", Outcome::forbidden);
  expect_outcome("/site%2fstyle.css", Outcome::forbidden);
  expect_outcome("/site/style%2F.css", Outcome::forbidden);
}

TEST(StaticResolver, UndecodableAndNulAndBackslashAreForbidden) {
  expect_outcome("/app.js%", Outcome::forbidden);
  expect_outcome("/app%2.js", Outcome::forbidden);
  expect_outcome("/%zz", Outcome::forbidden);
  expect_outcome("/app.js%00.html", Outcome::forbidden);
  expect_outcome("/site\\style.css", Outcome::forbidden);
  expect_outcome("/site%5cstyle.css", Outcome::forbidden);
}

TEST(StaticResolver, APathNotStartingWithASlashIsForbidden) {
  expect_outcome("app.js", Outcome::forbidden);
  expect_outcome("", Outcome::forbidden);
}

TEST(StaticResolver, ForbiddenPathsAreNeverLookedUp) {
  for (const char* raw :
       {"/%2e%2e/app.js", "/site/../app.js", "/site%2fstyle.css", "/%zz", "relative", "/a%00"}) {
    FakeTree tree = www();
    EXPECT_EQ(resolve_static(raw, "", tree.lookup()).outcome, Outcome::forbidden) << raw;
    EXPECT_TRUE(tree.asked().empty()) << raw;
  }
}

TEST(StaticResolver, EscapingTheRootIsForbiddenAtAnyDepth) {
  expect_outcome("/out", Outcome::forbidden);
  expect_outcome("/out/", Outcome::forbidden);
  expect_outcome("/out/index.html", Outcome::forbidden);
  expect_outcome("/secret.txt", Outcome::forbidden);
  expect_outcome("/site/out", Outcome::forbidden);
  expect_outcome("/site/out/deep/x.css", Outcome::forbidden);
}

TEST(StaticResolver, DoubleSlashesAndDotSegmentsAreNormalised) {
  expect_file("//app.js", "app.js");
  expect_file("/site//style.css", "site/style.css");
  expect_file("/./site/./style.css", "site/style.css");
  expect_file("/site/%2e/style.css", "site/style.css");
}

TEST(StaticResolver, QueryDoesNotChangeWhichFile) {
  const auto [path, query] = split_target("/site/style.css?v=3&x=/../y");
  const StaticResult result = resolve(path, query);
  EXPECT_EQ(result.outcome, Outcome::file);
  EXPECT_EQ(result.relative_path, "site/style.css");
  EXPECT_EQ(result.location, "");
}

TEST(StaticResolver, Utf8Names) {
  expect_file("/docs/r%C3%A9sum%C3%A9.pdf", "docs/r\xC3\xA9sum\xC3\xA9.pdf");
  expect_file("/docs/r%c3%a9sum%c3%a9.pdf", "docs/r\xC3\xA9sum\xC3\xA9.pdf");
  expect_file("/docs/r\xC3\xA9sum\xC3\xA9.pdf", "docs/r\xC3\xA9sum\xC3\xA9.pdf");
  expect_file("/caf%C3%A9/", "caf\xC3\xA9/index.html");
  expect_outcome("/docs/resume.pdf", Outcome::not_found);
}

TEST(StaticResolver, PlusIsLiteral) {
  expect_file("/a+b.txt", "a+b.txt");
  expect_file("/a%2Bb.txt", "a+b.txt");
  expect_outcome("/a%20b.txt", Outcome::not_found);
}

TEST(StaticResolver, OneLookupForAFileAndOneMoreForAnIndex) {
  {
    FakeTree tree = www();
    resolve_static("/site/style.css", "", tree.lookup());
    EXPECT_EQ(tree.asked(), std::vector<std::string>{"site/style.css"});
  }
  {
    FakeTree tree = www();
    resolve_static("//site/./", "", tree.lookup());
    EXPECT_EQ(tree.asked(), (std::vector<std::string>{"site", "site/index.html"}));
  }
  {
    FakeTree tree = www();
    resolve_static("/", "", tree.lookup());
    EXPECT_EQ(tree.asked(), (std::vector<std::string>{"", "index.html"}));
  }
  {
    FakeTree tree = www();
    resolve_static("/site", "", tree.lookup());
    EXPECT_EQ(tree.asked(), std::vector<std::string>{"site"});
  }
}

}  // namespace
}  // namespace wsexec
