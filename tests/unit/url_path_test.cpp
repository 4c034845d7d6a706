#include "core/url_path.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace wsexec {
namespace {

using Segments = std::vector<std::string>;

TEST(SplitTarget, PathAndQuery) {
  const auto [path, query] = split_target("/a/b?x=1");
  EXPECT_EQ(path, "/a/b");
  EXPECT_EQ(query, "x=1");
}

TEST(SplitTarget, NoQuestionMarkMeansEmptyQuery) {
  const auto [path, query] = split_target("/a/b");
  EXPECT_EQ(path, "/a/b");
  EXPECT_EQ(query, "");
}

TEST(SplitTarget, EmptyQueryAfterQuestionMark) {
  const auto [path, query] = split_target("/a?");
  EXPECT_EQ(path, "/a");
  EXPECT_EQ(query, "");
}

TEST(SplitTarget, SplitsAtTheFirstQuestionMarkOnly) {
  const auto [path, query] = split_target("/a?b?c=d/e");
  EXPECT_EQ(path, "/a");
  EXPECT_EQ(query, "b?c=d/e");
}

TEST(SplitTarget, QueryIsNotDecoded) {
  const auto [path, query] = split_target("/s%20p?q=%41+b");
  EXPECT_EQ(path, "/s%20p");
  EXPECT_EQ(query, "q=%41+b");
}

TEST(SplitTarget, RootAndEmpty) {
  EXPECT_EQ(split_target("/").first, "/");
  EXPECT_EQ(split_target("/").second, "");
  EXPECT_EQ(split_target("").first, "");
  EXPECT_EQ(split_target("?x").first, "");
  EXPECT_EQ(split_target("?x").second, "x");
}

TEST(DecodeUrlPath, PlainPathUnchanged) {
  EXPECT_EQ(decode_url_path("/a/b.sh"), "/a/b.sh");
  EXPECT_EQ(decode_url_path("/"), "/");
  EXPECT_EQ(decode_url_path(""), "");
}

TEST(DecodeUrlPath, DecodesEscapesInBothCases) {
  EXPECT_EQ(decode_url_path("/a%20b"), "/a b");
  EXPECT_EQ(decode_url_path("/%41%42%43"), "/ABC");
  EXPECT_EQ(decode_url_path("/%2e%2E"), "/..");
  EXPECT_EQ(decode_url_path("/%7e%7E"), "/~~");
  EXPECT_EQ(decode_url_path("/%fF"), "/\xff");
}

TEST(DecodeUrlPath, DecodesUtf8Bytes) {
  EXPECT_EQ(decode_url_path("/caf%C3%A9"), "/caf\xC3\xA9");
  EXPECT_EQ(decode_url_path("/%e2%82%ac"), "/\xE2\x82\xAC");
}

TEST(DecodeUrlPath, PlusStaysPlus) {
  EXPECT_EQ(decode_url_path("/a+b"), "/a+b");
  EXPECT_EQ(decode_url_path("/a%2Bb"), "/a+b");
}

TEST(DecodeUrlPath, EncodedPercentIsDecodedOnce) {
  EXPECT_EQ(decode_url_path("/100%25"), "/100%");
  EXPECT_EQ(decode_url_path("/%252e%252e"), "/%2e%2e");
}

TEST(DecodeUrlPath, MalformedEscapesAreRefused) {
  EXPECT_EQ(decode_url_path("/%"), std::nullopt);
  EXPECT_EQ(decode_url_path("/%4"), std::nullopt);
  EXPECT_EQ(decode_url_path("%4"), std::nullopt);
  EXPECT_EQ(decode_url_path("/%zz"), std::nullopt);
  EXPECT_EQ(decode_url_path("/%4g"), std::nullopt);
  EXPECT_EQ(decode_url_path("/%g4"), std::nullopt);
  EXPECT_EQ(decode_url_path("/a%"), std::nullopt);
  EXPECT_EQ(decode_url_path("/%%41"), std::nullopt);
  EXPECT_EQ(decode_url_path("/% 1"), std::nullopt);
  EXPECT_EQ(decode_url_path("/%-1"), std::nullopt);
}

TEST(DecodeUrlPath, EncodedNulIsRefused) {
  EXPECT_EQ(decode_url_path("/a%00b"), std::nullopt);
  EXPECT_EQ(decode_url_path("/a.sh%00.txt"), std::nullopt);
}

TEST(DecodeUrlPath, EncodedSlashIsRefused) {
  EXPECT_EQ(decode_url_path("/a%2fb"), std::nullopt);
  EXPECT_EQ(decode_url_path("/a%2Fb"), std::nullopt);
  EXPECT_EQ(decode_url_path("/..%2f..%2fetc"), std::nullopt);
}

TEST(DecodeUrlPath, EncodedBackslashDecodes) {
  // Refused later, by path_segments: decoding only decodes.
  EXPECT_EQ(decode_url_path("/a%5cb"), "/a\\b");
}

TEST(PathSegments, SplitsOnSlashes) {
  EXPECT_EQ(path_segments("/a/b/c.sh"), (Segments{"a", "b", "c.sh"}));
  EXPECT_EQ(path_segments("a/b"), (Segments{"a", "b"}));
}

TEST(PathSegments, RootHasNoSegments) {
  EXPECT_EQ(path_segments("/"), Segments{});
  EXPECT_EQ(path_segments(""), Segments{});
  EXPECT_EQ(path_segments("///"), Segments{});
}

TEST(PathSegments, EmptyAndDotSegmentsDropped) {
  EXPECT_EQ(path_segments("//a///b//"), (Segments{"a", "b"}));
  EXPECT_EQ(path_segments("/./a/./b/."), (Segments{"a", "b"}));
  EXPECT_EQ(path_segments("/."), Segments{});
  EXPECT_EQ(path_segments("/a/"), Segments{"a"});
}

TEST(PathSegments, DotDotAnywhereIsRefused) {
  EXPECT_EQ(path_segments("/.."), std::nullopt);
  EXPECT_EQ(path_segments("/../a"), std::nullopt);
  EXPECT_EQ(path_segments("/a/.."), std::nullopt);
  EXPECT_EQ(path_segments("/a/../a"), std::nullopt);
  EXPECT_EQ(path_segments("/a/../../etc/passwd"), std::nullopt);
  EXPECT_EQ(path_segments("/a/b/../"), std::nullopt);
  EXPECT_EQ(path_segments(".."), std::nullopt);
}

TEST(PathSegments, NamesThatMerelyContainDotsAreFine) {
  EXPECT_EQ(path_segments("/..a/a../.../a..b/.hidden"),
            (Segments{"..a", "a..", "...", "a..b", ".hidden"}));
}

TEST(PathSegments, NulAndBackslashAreRefused) {
  EXPECT_EQ(path_segments(std::string_view("/a\0b", 4)), std::nullopt);
  EXPECT_EQ(path_segments(std::string_view("/\0", 2)), std::nullopt);
  EXPECT_EQ(path_segments("/a\\b"), std::nullopt);
  EXPECT_EQ(path_segments("/..\\..\\etc"), std::nullopt);
  EXPECT_EQ(path_segments("/\\"), std::nullopt);
}

TEST(PathSegments, Utf8NamesKept) {
  EXPECT_EQ(path_segments("/caf\xC3\xA9/\xE2\x82\xAC.sh"),
            (Segments{"caf\xC3\xA9", "\xE2\x82\xAC.sh"}));
}

TEST(UrlPath, EncodedDotDotIsCaughtAfterDecoding) {
  for (const char* raw : {"/%2e%2e/etc", "/%2E%2E/etc", "/a/%2e./b", "/a/.%2E/b", "/%2e%2e"}) {
    const auto decoded = decode_url_path(raw);
    ASSERT_TRUE(decoded) << raw;
    EXPECT_EQ(path_segments(*decoded), std::nullopt) << raw;
  }
}

TEST(UrlPath, EncodedDotIsDroppedLikeADot) {
  const auto decoded = decode_url_path("/a/%2e/b");
  ASSERT_TRUE(decoded);
  EXPECT_EQ(path_segments(*decoded), (Segments{"a", "b"}));
}

}  // namespace
}  // namespace wsexec

namespace wsexec {
namespace {

TEST(AbsoluteForm, SplitsAuthorityAndOriginForm) {
  using Split = std::pair<std::string, std::string>;
  EXPECT_EQ(split_absolute_form("http://example.com:8080/a/b?c=1"),
            (Split{"example.com:8080", "/a/b?c=1"}));
  EXPECT_EQ(split_absolute_form("HTTPS://[::1]:8443/x"), (Split{"[::1]:8443", "/x"}));
  EXPECT_EQ(split_absolute_form("http://example.com"), (Split{"example.com", "/"}));
  EXPECT_EQ(split_absolute_form("http://example.com?q"), (Split{"example.com", "/?q"}));
}

TEST(AbsoluteForm, OtherTargetsAreNotAbsolute) {
  EXPECT_FALSE(split_absolute_form("/a/b"));
  EXPECT_FALSE(split_absolute_form("*"));
  EXPECT_FALSE(split_absolute_form("http:///nohost"));
  EXPECT_FALSE(split_absolute_form("ftp://example.com/"));
  EXPECT_FALSE(split_absolute_form("example.com:443"));
}

TEST(ResolveDotSegments, PathWithoutDotDotIsLeftAsItIs) {
  EXPECT_EQ(resolve_dot_segments("/a//./b/").outcome, DotSegmentResult::Outcome::unchanged);
  EXPECT_EQ(resolve_dot_segments("/dots..sh").outcome, DotSegmentResult::Outcome::unchanged);
}

TEST(ResolveDotSegments, DotDotInsideTheRootLeadsToTheNormalisedPath) {
  const DotSegmentResult result = resolve_dot_segments("/sub/../hello.sh");
  EXPECT_EQ(result.outcome, DotSegmentResult::Outcome::resolved);
  EXPECT_EQ(result.path, "/hello.sh");
  EXPECT_EQ(resolve_dot_segments("/a/b/%2e%2e/c%20d/").path, "/a/c%20d/");
  EXPECT_EQ(resolve_dot_segments("/a/..").path, "/");
  EXPECT_EQ(resolve_dot_segments("//a/./../b").path, "/b");
}

TEST(ResolveDotSegments, DotDotAboveTheRootEscapes) {
  for (const char* path : {"/..", "/../a", "/a/../../b", "/.%2e/a", "/a/%2E%2E/%2e%2e/b"}) {
    EXPECT_EQ(resolve_dot_segments(path).outcome, DotSegmentResult::Outcome::escapes) << path;
  }
}

TEST(ResolveDotSegments, UndecodableOrUnsafePathIsLeftForTheRoutersToRefuse) {
  EXPECT_EQ(resolve_dot_segments("/a/../%zz").outcome, DotSegmentResult::Outcome::unchanged);
  EXPECT_EQ(resolve_dot_segments("/a/../b c").outcome, DotSegmentResult::Outcome::unchanged);
  EXPECT_EQ(resolve_dot_segments("a/../b").outcome, DotSegmentResult::Outcome::unchanged);
}

}  // namespace
}  // namespace wsexec
