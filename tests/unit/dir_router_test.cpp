#include "core/dir_router.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "core/url_path.hpp"
#include "fake_tree.hpp"

namespace wsexec {
namespace {

using Outcome = RouteResult::Outcome;

FakeTree endpoints() {
  return FakeTree({
      {"hello.sh", EntryKind::executable_file},
      {"readme.txt", EntryKind::regular_file},
      {"fifo", EntryKind::other},
      {"sub", EntryKind::directory},
      {"sub/a.sh", EntryKind::executable_file},
      {"sub/data.txt", EntryKind::regular_file},
      {"sub/empty", EntryKind::directory},
      {"sub/deeper", EntryKind::directory},
      {"sub/deeper/b.sh", EntryKind::executable_file},
      {"sub/deeper/out", EntryKind::escapes_root},  // a symlink to a directory outside
      {"sub/out.sh", EntryKind::escapes_root},      // a symlink to a script outside
      {"out", EntryKind::escapes_root},
      {"caf\xC3\xA9.sh", EntryKind::executable_file},
      {"caf\xC3\xA9", EntryKind::directory},
      {"caf\xC3\xA9/run.sh", EntryKind::executable_file},
      {"with space.sh", EntryKind::executable_file},
      {"a+b.sh", EntryKind::executable_file},
      {"dots..sh", EntryKind::executable_file},
  });
}

RouteResult route(std::string_view raw_path) {
  FakeTree tree = endpoints();
  return route_to_script(raw_path, tree.lookup());
}

// Expects a script route and returns it.
ScriptRoute script(std::string_view raw_path) {
  const RouteResult result = route(raw_path);
  EXPECT_EQ(result.outcome, Outcome::script) << raw_path;
  return result.route;
}

void expect_script(std::string_view raw_path, std::string_view relative_path,
                   std::string_view script_name, std::string_view path_info) {
  const ScriptRoute found = script(raw_path);
  EXPECT_EQ(found.relative_path, relative_path) << raw_path;
  EXPECT_EQ(found.script_name, script_name) << raw_path;
  EXPECT_EQ(found.path_info, path_info) << raw_path;
}

void expect_outcome(std::string_view raw_path, Outcome expected) {
  const RouteResult result = route(raw_path);
  EXPECT_EQ(result.outcome, expected) << raw_path;
  if (result.outcome != Outcome::script) {
    EXPECT_EQ(result.route.relative_path, "") << raw_path;
    EXPECT_EQ(result.route.script_name, "") << raw_path;
    EXPECT_EQ(result.route.path_info, "") << raw_path;
  }
}

TEST(DirRouter, ScriptAtTheTop) {
  expect_script("/hello.sh", "hello.sh", "/hello.sh", "");
}

TEST(DirRouter, PathInfoAfterTheScript) {
  expect_script("/hello.sh/extra/x", "hello.sh", "/hello.sh", "/extra/x");
  expect_script("/hello.sh/extra", "hello.sh", "/hello.sh", "/extra");
}

TEST(DirRouter, PathInfoKeepsATrailingSlash) {
  expect_script("/hello.sh/", "hello.sh", "/hello.sh", "/");
  expect_script("/hello.sh/extra/", "hello.sh", "/hello.sh", "/extra/");
}

TEST(DirRouter, PathInfoIsDecoded) {
  expect_script("/hello.sh/a%20b/caf%C3%A9", "hello.sh", "/hello.sh", "/a b/caf\xC3\xA9");
  expect_script("/hello.sh/100%25+x", "hello.sh", "/hello.sh", "/100%+x");
}

TEST(DirRouter, PathInfoMayNameThingsThatDoNotExist) {
  expect_script("/hello.sh/nope/readme.txt", "hello.sh", "/hello.sh", "/nope/readme.txt");
}

TEST(DirRouter, ScriptInASubdirectory) {
  expect_script("/sub/a.sh", "sub/a.sh", "/sub/a.sh", "");
  expect_script("/sub/a.sh/p/q", "sub/a.sh", "/sub/a.sh", "/p/q");
  expect_script("/sub/deeper/b.sh", "sub/deeper/b.sh", "/sub/deeper/b.sh", "");
  expect_script("/sub/deeper/b.sh/more", "sub/deeper/b.sh", "/sub/deeper/b.sh", "/more");
}

TEST(DirRouter, TheFirstExecutableWins) {
  // A script's PATH_INFO may look like another script: it is not walked into.
  expect_script("/sub/a.sh/deeper/b.sh", "sub/a.sh", "/sub/a.sh", "/deeper/b.sh");
}

TEST(DirRouter, LookupsStopAtTheScript) {
  FakeTree tree = endpoints();
  const RouteResult result = route_to_script("/sub/a.sh/x/y", tree.lookup());
  EXPECT_EQ(result.outcome, Outcome::script);
  EXPECT_EQ(tree.asked(), (std::vector<std::string>{"sub", "sub/a.sh"}));
}

TEST(DirRouter, EndingAtADirectoryIsNotFound) {
  expect_outcome("/sub/", Outcome::not_found);
  expect_outcome("/sub", Outcome::not_found);
  expect_outcome("/sub/deeper/", Outcome::not_found);
  expect_outcome("/sub/empty", Outcome::not_found);
  expect_outcome("/sub/./", Outcome::not_found);
}

TEST(DirRouter, TheRootIsNotFound) {
  expect_outcome("/", Outcome::not_found);
  expect_outcome("//", Outcome::not_found);
  expect_outcome("/.", Outcome::not_found);
  expect_outcome("/./", Outcome::not_found);
}

TEST(DirRouter, NonExecutableFilesAreNotRun) {
  expect_outcome("/readme.txt", Outcome::not_found);
  expect_outcome("/readme.txt/extra", Outcome::not_found);
  expect_outcome("/sub/data.txt", Outcome::not_found);
}

TEST(DirRouter, OtherKindsAreNotRun) {
  expect_outcome("/fifo", Outcome::not_found);
  expect_outcome("/fifo/x", Outcome::not_found);
}

TEST(DirRouter, MissingIsNotFound) {
  expect_outcome("/nope.sh", Outcome::not_found);
  expect_outcome("/sub/nope.sh", Outcome::not_found);
  expect_outcome("/nope/a.sh", Outcome::not_found);
  expect_outcome("/hello", Outcome::not_found);
  expect_outcome("/HELLO.SH", Outcome::not_found);
}

TEST(DirRouter, DotDotIsForbidden) {
  expect_outcome("/../hello.sh", Outcome::forbidden);
  expect_outcome("/sub/../hello.sh", Outcome::forbidden);
  expect_outcome("/sub/..", Outcome::forbidden);
  expect_outcome("/..", Outcome::forbidden);
}

TEST(DirRouter, EncodedDotDotIsForbidden) {
  expect_outcome("/%2e%2e/etc/passwd", Outcome::forbidden);
  expect_outcome("/%2E%2E/etc/passwd", Outcome::forbidden);
  expect_outcome("/sub/%2e%2e/hello.sh", Outcome::forbidden);
  expect_outcome("/sub/%2E%2e", Outcome::forbidden);
  expect_outcome("/sub/.%2e/hello.sh", Outcome::forbidden);
  expect_outcome("/sub/%2e./hello.sh", Outcome::forbidden);
}

TEST(DirRouter, DotDotAfterTheScriptIsForbiddenToo) {
  // Never handed to a script as PATH_INFO it might trust.
  expect_outcome("/hello.sh/../../etc/passwd", Outcome::forbidden);
  expect_outcome("/hello.sh/x/%2e%2e", Outcome::forbidden);
}

TEST(DirRouter, EncodedSlashIsForbidden) {
  expect_outcome("/..%2fhello.sh", Outcome::forbidden);
  expect_outcome("/..%2Fetc%2Fpasswd", Outcome::forbidden);
  expect_outcome("/sub%2fa.sh", Outcome::forbidden);
  expect_outcome("/sub/a%2f.sh", Outcome::forbidden);
  expect_outcome("/hello.sh/a%2fb", Outcome::forbidden);
}

TEST(DirRouter, UndecodablePathsAreForbidden) {
  expect_outcome("/hello.sh%", Outcome::forbidden);
  expect_outcome("/hello%2.sh", Outcome::forbidden);
  expect_outcome("/%zz", Outcome::forbidden);
  expect_outcome("/hello.sh%00", Outcome::forbidden);
  expect_outcome("/hello.sh/%00", Outcome::forbidden);
}

TEST(DirRouter, BackslashIsForbidden) {
  expect_outcome("/sub\\a.sh", Outcome::forbidden);
  expect_outcome("/sub%5ca.sh", Outcome::forbidden);
  expect_outcome("/..%5c..%5cetc", Outcome::forbidden);
}

TEST(DirRouter, APathNotStartingWithASlashIsForbidden) {
  expect_outcome("hello.sh", Outcome::forbidden);
  expect_outcome("", Outcome::forbidden);
  expect_outcome("*", Outcome::forbidden);
}

TEST(DirRouter, ForbiddenPathsAreNeverLookedUp) {
  for (const char* raw : {"/%2e%2e/hello.sh", "/sub/../sub/a.sh", "/sub%2fa.sh", "/%zz",
                          "/hello.sh/../x", "relative"}) {
    FakeTree tree = endpoints();
    EXPECT_EQ(route_to_script(raw, tree.lookup()).outcome, Outcome::forbidden) << raw;
    EXPECT_TRUE(tree.asked().empty()) << raw;
  }
}

TEST(DirRouter, DoubleSlashesAreSkipped) {
  expect_script("//hello.sh", "hello.sh", "/hello.sh", "");
  expect_script("/sub//a.sh", "sub/a.sh", "/sub/a.sh", "");
  expect_script("//sub///deeper//b.sh", "sub/deeper/b.sh", "/sub/deeper/b.sh", "");
}

TEST(DirRouter, DoubleSlashesInPathInfoAreKept) {
  expect_script("/sub//a.sh//x", "sub/a.sh", "/sub/a.sh", "//x");
}

TEST(DirRouter, DotSegmentsAreSkipped) {
  expect_script("/./hello.sh", "hello.sh", "/hello.sh", "");
  expect_script("/sub/./a.sh", "sub/a.sh", "/sub/a.sh", "");
  expect_script("/%2e/hello.sh", "hello.sh", "/hello.sh", "");
  expect_script("/sub/%2E/./a.sh/x", "sub/a.sh", "/sub/a.sh", "/x");
}

TEST(DirRouter, EscapingTheRootIsForbiddenAtAnyDepth) {
  expect_outcome("/out", Outcome::forbidden);
  expect_outcome("/out/", Outcome::forbidden);
  expect_outcome("/out/x.sh", Outcome::forbidden);
  expect_outcome("/sub/out.sh", Outcome::forbidden);
  expect_outcome("/sub/out.sh/extra", Outcome::forbidden);
  expect_outcome("/sub/deeper/out", Outcome::forbidden);
  expect_outcome("/sub/deeper/out/c.sh", Outcome::forbidden);
}

TEST(DirRouter, EscapeIsSeenWhereverTheLookupReportsIt) {
  // A lookup that reports an escape only for the deepest path.
  const EntryLookup lookup = [](const std::string& path) {
    if (path == "a" || path == "a/b") return EntryKind::directory;
    if (path == "a/b/c") return EntryKind::escapes_root;
    return EntryKind::missing;
  };
  EXPECT_EQ(route_to_script("/a/b/c", lookup).outcome, Outcome::forbidden);
  EXPECT_EQ(route_to_script("/a/b/c/d", lookup).outcome, Outcome::forbidden);
  EXPECT_EQ(route_to_script("/a/b", lookup).outcome, Outcome::not_found);
}

TEST(DirRouter, QueryStringIsNotPartOfTheRoute) {
  const auto [path, query] = split_target("/hello.sh/x?a=1&b=/../y");
  EXPECT_EQ(query, "a=1&b=/../y");
  expect_script(path, "hello.sh", "/hello.sh", "/x");
  const auto [bare, empty_query] = split_target("/sub/a.sh?");
  EXPECT_EQ(empty_query, "");
  expect_script(bare, "sub/a.sh", "/sub/a.sh", "");
}

TEST(DirRouter, Utf8Names) {
  expect_script("/caf%C3%A9.sh", "caf\xC3\xA9.sh", "/caf\xC3\xA9.sh", "");
  expect_script("/caf%c3%a9.sh", "caf\xC3\xA9.sh", "/caf\xC3\xA9.sh", "");
  expect_script("/caf%C3%A9/run.sh/%C3%A9", "caf\xC3\xA9/run.sh", "/caf\xC3\xA9/run.sh",
                "/\xC3\xA9");
  expect_script("/caf\xC3\xA9.sh", "caf\xC3\xA9.sh", "/caf\xC3\xA9.sh", "");  // sent unencoded
  expect_outcome("/caf%C3%A9", Outcome::not_found);                           // a directory
  expect_outcome("/cafe.sh", Outcome::not_found);
}

TEST(DirRouter, EncodedSpaceAndLiteralPlus) {
  expect_script("/with%20space.sh", "with space.sh", "/with space.sh", "");
  expect_script("/a+b.sh", "a+b.sh", "/a+b.sh", "");
  expect_script("/a%2bb.sh", "a+b.sh", "/a+b.sh", "");
  expect_outcome("/with+space.sh", Outcome::not_found);
}

TEST(DirRouter, NamesWithDotsInsideAreOrdinary) {
  expect_script("/dots..sh", "dots..sh", "/dots..sh", "");
}

TEST(DirRouter, ALookupIsAskedWithDecodedJoinedSegments) {
  FakeTree tree = endpoints();
  route_to_script("//sub/./%64eeper//b.sh", tree.lookup());
  EXPECT_EQ(tree.asked(), (std::vector<std::string>{"sub", "sub/deeper", "sub/deeper/b.sh"}));
}

}  // namespace
}  // namespace wsexec
