#include "core/origin_policy.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace wsexec {
namespace {

OriginPattern parsed(std::string_view text) {
  std::string error;
  auto pattern = parse_origin_pattern(text, error);
  EXPECT_TRUE(pattern) << text << ": " << error;
  EXPECT_EQ(error, "") << text;
  return pattern.value_or(OriginPattern{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_origin_pattern(text, error)) << text;
  return error;
}

OriginPolicy only(std::string_view list) {
  return {false, parse_origin_list(list)};
}

const OriginPolicy any_origin{};
const OriginPolicy same_origin{true, {}};

bool allowed(const OriginPolicy& policy, std::string_view origin, std::string_view host = "h") {
  return origin_allowed(policy, origin, host);
}

TEST(OriginPattern, HostOnly) {
  const OriginPattern pattern = parsed("example.com");
  EXPECT_EQ(pattern.scheme, std::nullopt);
  EXPECT_EQ(pattern.host, "example.com");
  EXPECT_EQ(pattern.port, std::nullopt);
}

TEST(OriginPattern, LowerCasesSchemeAndHost) {
  const OriginPattern pattern = parsed("HTTPS://Example.COM:8443");
  EXPECT_EQ(pattern.scheme, "https");
  EXPECT_EQ(pattern.host, "example.com");
  EXPECT_EQ(pattern.port, 8443u);
}

TEST(OriginPattern, IPv6InBrackets) {
  const OriginPattern bare = parsed("[::1]");
  EXPECT_EQ(bare.host, "::1");
  EXPECT_EQ(bare.port, std::nullopt);
  const OriginPattern with_port = parsed("http://[FE80::1]:8080");
  EXPECT_EQ(with_port.scheme, "http");
  EXPECT_EQ(with_port.host, "fe80::1");
  EXPECT_EQ(with_port.port, 8080u);
}

TEST(OriginPattern, OtherSchemesAndNames) {
  EXPECT_EQ(parsed("chrome-extension://abcdef").scheme, "chrome-extension");
  EXPECT_EQ(parsed("localhost:80").port, 80u);
  EXPECT_EQ(parsed("127.0.0.1").host, "127.0.0.1");
  EXPECT_EQ(parsed("my_host.local").host, "my_host.local");
}

TEST(OriginPattern, RejectsWhatIsNotSchemeHostPort) {
  for (const char* text : {"",
                           "http://",
                           "http://:80",
                           ":80",
                           "a.com:",
                           "a.com:abc",
                           "a.com:99999",
                           "a.com:-1",
                           "a.com:80:90",
                           "a.com/",
                           "http://a.com/",
                           "http://a.com/path",
                           "*.a.com",
                           "http://*",
                           "::1",
                           "[::1",
                           "[::1]x",
                           "[zz::1]",
                           "[]",
                           "://a.com",
                           "1http://a.com",
                           "ht tp://a.com",
                           "a b",
                           "user@a.com",
                           "a.com?x"}) {
    EXPECT_EQ(parse_error(text),
              "--origin: \"" + std::string(text) + "\" is not of the form [scheme://]host[:port]");
  }
}

TEST(OriginList, EmptyListMeansNoRestriction) {
  EXPECT_TRUE(parse_origin_list("").empty());
  EXPECT_TRUE(parse_origin_list("  ").empty());
}

TEST(OriginList, SplitsOnCommasAndIgnoresSpaces) {
  const auto patterns = parse_origin_list("a.com, https://b.com:8443 ,\t[::1]:9000");
  ASSERT_EQ(patterns.size(), 3u);
  EXPECT_EQ(patterns[0].host, "a.com");
  EXPECT_EQ(patterns[1].scheme, "https");
  EXPECT_EQ(patterns[1].host, "b.com");
  EXPECT_EQ(patterns[1].port, 8443u);
  EXPECT_EQ(patterns[2].host, "::1");
  EXPECT_EQ(patterns[2].port, 9000u);
}

TEST(OriginList, ErrorNamesTheBadEntry) {
  try {
    parse_origin_list("a.com, http://, b.com");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), R"(--origin: "http://" is not of the form [scheme://]host[:port])");
  }
}

TEST(OriginList, EmptyEntryIsAnError) {
  try {
    parse_origin_list("a.com,,b.com");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), R"(--origin: "a.com,,b.com" has an empty entry)");
  }
  EXPECT_THROW(parse_origin_list("a.com,"), std::invalid_argument);
}

// websocketd 0.4.1 without --origin or --sameorigin, probed over loopback.
TEST(OriginAllowedWithoutPolicy, AnyBrowserOrigin) {
  EXPECT_TRUE(origin_allowed(any_origin, std::nullopt, "h"));
  EXPECT_TRUE(allowed(any_origin, ""));
  EXPECT_TRUE(allowed(any_origin, "null"));
  EXPECT_TRUE(allowed(any_origin, "http://evil.com"));
  EXPECT_TRUE(allowed(any_origin, "https://evil.com:8443"));
  EXPECT_TRUE(allowed(any_origin, "chrome-extension://abcdef"));
  EXPECT_TRUE(allowed(any_origin, "file://"));
  EXPECT_TRUE(allowed(any_origin, "foo:bar"));
  EXPECT_TRUE(allowed(any_origin, "http://"));
  EXPECT_TRUE(allowed(any_origin, "http://a.com:"));
  EXPECT_TRUE(allowed(any_origin, "http://a.com/path?query"));
  EXPECT_TRUE(allowed(any_origin, "/path"));
}

TEST(OriginAllowedWithoutPolicy, RefusesAnOriginThatIsNotAUrl) {
  EXPECT_FALSE(allowed(any_origin, "garbage"));
  EXPECT_FALSE(allowed(any_origin, "http://a b"));
  EXPECT_FALSE(allowed(any_origin, "http://a.com:abc"));
  EXPECT_FALSE(allowed(any_origin, "http://a.com#x"));
  EXPECT_FALSE(allowed(any_origin, "1http://a.com"));
}

TEST(OriginAllowedSameOrigin, NoOriginNullOrEmptyIsRefused) {
  EXPECT_FALSE(origin_allowed(same_origin, std::nullopt, "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "null", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "garbage", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "file://", "127.0.0.1:8080"));
}

TEST(OriginAllowedSameOrigin, HostAndPortMustMatch) {
  EXPECT_TRUE(allowed(same_origin, "http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(allowed(same_origin, "https://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "http://127.0.0.1", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "http://127.0.0.1:80", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "http://127.0.0.1:9090", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "http://localhost:8080", "127.0.0.1:8080"));
  EXPECT_FALSE(allowed(same_origin, "http://example.com", "example.com."));
}

TEST(OriginAllowedSameOrigin, DefaultPortsOfTheOriginScheme) {
  EXPECT_TRUE(allowed(same_origin, "http://example.com", "example.com:80"));
  EXPECT_TRUE(allowed(same_origin, "http://example.com:80", "example.com:80"));
  EXPECT_TRUE(allowed(same_origin, "https://example.com", "example.com:443"));
  EXPECT_FALSE(allowed(same_origin, "https://example.com", "example.com:80"));
  EXPECT_FALSE(allowed(same_origin, "http://example.com", "example.com:443"));
}

// We are not told whether the connection is TLS: a Host without port stands
// for the Origin scheme's default port (websocketd uses the connection's).
TEST(OriginAllowedSameOrigin, HostWithoutPortTakesTheOriginSchemeDefault) {
  EXPECT_TRUE(allowed(same_origin, "http://example.com", "example.com"));
  EXPECT_TRUE(allowed(same_origin, "http://example.com:80", "example.com"));
  EXPECT_TRUE(allowed(same_origin, "https://example.com", "example.com"));
  EXPECT_TRUE(allowed(same_origin, "https://example.com:443", "example.com"));
  EXPECT_FALSE(allowed(same_origin, "http://example.com:443", "example.com"));
  EXPECT_FALSE(allowed(same_origin, "https://example.com:8443", "example.com"));
}

TEST(OriginAllowedSameOrigin, HostsCompareIgnoringCase) {
  // websocketd compares case-sensitively; DNS names are not.
  EXPECT_TRUE(allowed(same_origin, "http://example.com", "Example.COM"));
  EXPECT_TRUE(allowed(same_origin, "http://EXAMPLE.com", "example.com"));
}

TEST(OriginAllowedSameOrigin, IgnoresPathAndUserinfo) {
  EXPECT_TRUE(allowed(same_origin, "http://example.com/", "example.com"));
  EXPECT_TRUE(allowed(same_origin, "http://example.com/path", "example.com"));
  EXPECT_TRUE(allowed(same_origin, "http://user@example.com", "example.com"));
}

TEST(OriginAllowedSameOrigin, IPv6Hosts) {
  EXPECT_TRUE(allowed(same_origin, "http://[::1]:8080", "[::1]:8080"));
  EXPECT_TRUE(allowed(same_origin, "http://[::1]", "[::1]"));
  EXPECT_FALSE(allowed(same_origin, "http://[::1]", "::1"));
  EXPECT_FALSE(allowed(same_origin, "http://[::1]:8080", "[::2]:8080"));
}

TEST(OriginAllowedSameOrigin, MalformedHostNeverMatches) {
  EXPECT_FALSE(allowed(same_origin, "http://a.com", ""));
  EXPECT_FALSE(allowed(same_origin, "http://a.com", "a.com:xyz"));
}

TEST(OriginAllowedList, NoOriginNullOrEmptyIsRefused) {
  const OriginPolicy policy = only("a.com");
  EXPECT_FALSE(origin_allowed(policy, std::nullopt, "h"));
  EXPECT_FALSE(allowed(policy, ""));
  EXPECT_FALSE(allowed(policy, "null"));
  EXPECT_FALSE(allowed(policy, "garbage"));
}

TEST(OriginAllowedList, PatternWithoutPortMatchesAnyPort) {
  const OriginPolicy policy = only("a.com");
  EXPECT_TRUE(allowed(policy, "http://a.com"));
  EXPECT_TRUE(allowed(policy, "https://a.com"));
  EXPECT_TRUE(allowed(policy, "http://a.com:8080"));
  EXPECT_TRUE(allowed(policy, "http://a.com:8080/"));
  EXPECT_FALSE(allowed(policy, "http://b.com"));
  EXPECT_FALSE(allowed(policy, "http://a.com.evil.com"));
  EXPECT_FALSE(allowed(policy, "http://sub.a.com"));
  EXPECT_FALSE(allowed(policy, "http://evil.com/a.com"));
}

TEST(OriginAllowedList, PatternWithoutSchemeMatchesOnlyHttpAndHttps) {
  // websocketd lets a scheme-less entry match any scheme; docs/compatibility.md
  // ("Options", --origin) says http and https.
  const OriginPolicy policy = only("a.com");
  EXPECT_FALSE(allowed(policy, "ws://a.com"));
  EXPECT_FALSE(allowed(policy, "ftp://a.com"));
  EXPECT_FALSE(allowed(policy, "chrome-extension://a.com"));
}

TEST(OriginAllowedList, HostsCompareIgnoringCase) {
  EXPECT_TRUE(allowed(only("a.com"), "http://A.COM"));
  EXPECT_TRUE(allowed(only("A.Com"), "HTTP://a.com"));
}

TEST(OriginAllowedList, PatternWithPortComparesTheOriginsDefaultPort) {
  const OriginPolicy policy = only("a.com:80");
  EXPECT_TRUE(allowed(policy, "http://a.com"));
  EXPECT_TRUE(allowed(policy, "http://a.com:80"));
  EXPECT_TRUE(allowed(policy, "https://a.com:80"));
  EXPECT_FALSE(allowed(policy, "https://a.com"));
  EXPECT_FALSE(allowed(policy, "http://a.com:8080"));
  const OriginPolicy tls = only("c.com:443");
  EXPECT_TRUE(allowed(tls, "https://c.com"));
  EXPECT_FALSE(allowed(tls, "http://c.com"));
}

TEST(OriginAllowedList, PatternWithSchemeAndPort) {
  const OriginPolicy policy = only("http://b.com:8080");
  EXPECT_TRUE(allowed(policy, "http://b.com:8080"));
  EXPECT_FALSE(allowed(policy, "https://b.com:8080"));
  EXPECT_FALSE(allowed(policy, "http://b.com"));
}

TEST(OriginAllowedList, PatternWithSchemeMatchesAnyPortOfThatScheme) {
  const OriginPolicy policy = only("https://c.com");
  EXPECT_TRUE(allowed(policy, "https://c.com"));
  EXPECT_TRUE(allowed(policy, "https://c.com:443"));
  EXPECT_TRUE(allowed(policy, "https://c.com:8443"));
  EXPECT_TRUE(allowed(policy, "HTTPS://c.com"));
  EXPECT_FALSE(allowed(policy, "http://c.com:443"));
  EXPECT_FALSE(allowed(policy, "http://c.com"));
}

TEST(OriginAllowedList, OtherSchemeWhenNamed) {
  const OriginPolicy policy = only("chrome-extension://abcdef");
  EXPECT_TRUE(allowed(policy, "chrome-extension://abcdef"));
  EXPECT_FALSE(allowed(policy, "http://abcdef"));
}

TEST(OriginAllowedList, AnyEntryOfTheListMayMatch) {
  const OriginPolicy policy =
      only("a.com:80, http://b.com:8080, https://c.com, d.com:9000, [::1]:8080");
  EXPECT_TRUE(allowed(policy, "http://a.com"));
  EXPECT_TRUE(allowed(policy, "http://b.com:8080"));
  EXPECT_TRUE(allowed(policy, "https://c.com:8443"));
  EXPECT_TRUE(allowed(policy, "http://d.com:9000"));
  EXPECT_TRUE(allowed(policy, "https://d.com:9000"));
  EXPECT_TRUE(allowed(policy, "http://[::1]:8080"));
  EXPECT_FALSE(allowed(policy, "http://[::1]"));
  EXPECT_FALSE(allowed(policy, "https://a.com"));
  EXPECT_FALSE(allowed(policy, "http://e.com"));
}

TEST(OriginAllowedList, HostHeaderDoesNotMatterWithoutSameOrigin) {
  EXPECT_TRUE(allowed(only("a.com"), "http://a.com", "other.example:1234"));
}

TEST(OriginAllowedBoth, BothMustAgree) {
  const OriginPolicy policy{true, parse_origin_list("a.com")};
  EXPECT_TRUE(allowed(policy, "http://a.com", "a.com"));
  EXPECT_FALSE(allowed(policy, "http://b.com", "b.com"));
  EXPECT_FALSE(allowed(policy, "http://a.com", "b.com"));
  EXPECT_FALSE(allowed(policy, "http://b.com", "a.com"));
}

TEST(OriginAllowed, SurroundingBlanksOfTheHeaderAreIgnored) {
  EXPECT_TRUE(allowed(only("a.com"), " http://a.com\t"));
  EXPECT_FALSE(allowed(only("a.com"), "  "));
}

}  // namespace
}  // namespace wsexec
