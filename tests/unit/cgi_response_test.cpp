#include "core/cgi_response.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsexec {
namespace {

using namespace std::string_literals;
using State = CgiResponseParser::State;
using Kind = CgiResponse::Kind;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Feeds the whole text in one call.
std::unique_ptr<CgiResponseParser> parse(std::string_view text,
                                         std::size_t max_header_bytes = 64 * 1024) {
  auto parser = std::make_unique<CgiResponseParser>(max_header_bytes);
  parser->feed(text);
  return parser;
}

State state_of(std::string_view text) {
  return parse(text)->state();
}

std::string error_of(std::string_view text) {
  return parse(text)->error();
}

// Where the body starts: just past the first empty line (LF or CRLF).
std::size_t header_end(std::string_view text) {
  std::size_t line_start = 0;
  while (true) {
    const auto newline = text.find('\n', line_start);
    if (newline == std::string_view::npos) return std::string_view::npos;
    const auto line = text.substr(line_start, newline - line_start);
    if (line.empty() || line == "\r") return newline + 1;
    line_start = newline + 1;
  }
}

void expect_same_response(const CgiResponse& actual, const CgiResponse& expected) {
  EXPECT_EQ(actual.kind, expected.kind);
  EXPECT_EQ(actual.status, expected.status);
  EXPECT_EQ(actual.reason, expected.reason);
  EXPECT_EQ(actual.location, expected.location);
  EXPECT_EQ(actual.headers, expected.headers);
}

// --- Documents -------------------------------------------------------------

TEST(CgiResponseDocument, MinimalWithLf) {
  const auto parser = parse("Content-Type: text/plain\n\nhello\n");
  ASSERT_EQ(parser->state(), State::complete);
  const auto& response = parser->response();
  EXPECT_EQ(response.kind, Kind::document);
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.reason, "");
  EXPECT_EQ(response.location, "");
  EXPECT_EQ(response.headers, (Headers{{"Content-Type", "text/plain"}}));
  EXPECT_EQ(parser->body_start(), "hello\n");
  EXPECT_EQ(parser->error(), "");
}

TEST(CgiResponseDocument, MinimalWithCrlf) {
  const auto parser = parse("Content-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::document);
  EXPECT_EQ(parser->response().status, 200u);
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "text/html; charset=utf-8"}}));
  EXPECT_EQ(parser->body_start(), "<p>hi</p>");
}

TEST(CgiResponseDocument, MixedLineEndings) {
  const auto parser = parse("Content-Type: text/plain\r\nX-One: 1\nX-Two: 2\r\n\nbody");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers,
            (Headers{{"Content-Type", "text/plain"}, {"X-One", "1"}, {"X-Two", "2"}}));
  EXPECT_EQ(parser->body_start(), "body");
}

TEST(CgiResponseDocument, KeepsHeadersInOrderWithNamesAsPrintedAndRepeats) {
  const auto parser = parse(
      "set-cookie: a=1\n"
      "Content-Type: text/plain\n"
      "X-Powered-By: sh\n"
      "Set-Cookie: b=2\n"
      "Cache-Control: no-store\n"
      "\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers, (Headers{{"set-cookie", "a=1"},
                                                 {"Content-Type", "text/plain"},
                                                 {"X-Powered-By", "sh"},
                                                 {"Set-Cookie", "b=2"},
                                                 {"Cache-Control", "no-store"}}));
}

TEST(CgiResponseDocument, TrimsBlanksAroundValuesButKeepsInnerOnes) {
  const auto parser = parse(
      "Content-Type:text/plain\n"
      "X-Spaces:    a  b  \t \n"
      "X-Tab:\tinner\ttab\t\n"
      "X-Crlf-Trail: v  \r\n"
      "\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "text/plain"},
                                                 {"X-Spaces", "a  b"},
                                                 {"X-Tab", "inner\ttab"},
                                                 {"X-Crlf-Trail", "v"}}));
}

TEST(CgiResponseDocument, EmptyValuesOfOtherHeadersAreKept) {
  const auto parser = parse("Content-Type: text/plain\nX-Empty:\nX-Blank:   \n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers,
            (Headers{{"Content-Type", "text/plain"}, {"X-Empty", ""}, {"X-Blank", ""}}));
}

TEST(CgiResponseDocument, NonAsciiBytesInValuesAreKept) {
  const auto parser = parse("Content-Type: text/plain\nX-Name: caf\xc3\xa9 \xff\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers[1].second, "caf\xc3\xa9 \xff");
}

TEST(CgiResponseDocument, ColonsInTheValueBelongToTheValue) {
  const auto parser = parse("Content-Type: text/plain\nX-Url: http://a:8080/b\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers[1],
            (std::pair<std::string, std::string>{"X-Url", "http://a:8080/b"}));
}

TEST(CgiResponseDocument, TokenCharactersAreAcceptedInNames) {
  const auto parser = parse("Content-Type: a\nX!#$%&'*+-.^_`|~09az: v\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers[1].first, "X!#$%&'*+-.^_`|~09az");
}

TEST(CgiResponseDocument, BodyStartIsEmptyWhenTheBlockEndsTheFeed) {
  const auto parser = parse("Content-Type: text/plain\r\n\r\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_TRUE(parser->body_start().empty());
}

TEST(CgiResponseDocument, BodyIsNotParsedAndKeepsEveryByte) {
  const std::string body = "\n\r\nnot a header\n\0binary\xff\r"s;
  const auto parser = parse("Content-Type: application/octet-stream\n\n" + body);
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->body_start(), body);
  EXPECT_EQ(parser->response().headers.size(), 1u);
}

TEST(CgiResponseDocument, BodyStartIsACopyThatOutlivesTheFedBuffer) {
  CgiResponseParser parser;
  {
    auto chunk = std::make_unique<std::string>("Content-Type: a\n\nthe body");
    ASSERT_EQ(parser.feed(*chunk), State::complete);
    std::fill(chunk->begin(), chunk->end(), 'x');
  }
  EXPECT_EQ(parser.body_start(), "the body");
}

TEST(CgiResponseDocument, ResponseFromStatus204Or304NeedsNoContentType) {
  const auto no_content = parse("Status: 204 No Content\n\n");
  ASSERT_EQ(no_content->state(), State::complete);
  EXPECT_EQ(no_content->response().kind, Kind::document);
  EXPECT_EQ(no_content->response().status, 204u);
  EXPECT_TRUE(no_content->response().headers.empty());

  const auto not_modified = parse("Status: 304\r\nETag: \"x\"\r\n\r\n");
  ASSERT_EQ(not_modified->state(), State::complete);
  EXPECT_EQ(not_modified->response().status, 304u);
  EXPECT_EQ(not_modified->response().headers, (Headers{{"ETag", "\"x\""}}));
}

// --- Status ----------------------------------------------------------------

TEST(CgiResponseStatus, CodeAndReasonAreTakenAndStatusIsNotAHeader) {
  const auto parser = parse("Status: 404 Not Found\nContent-Type: text/plain\n\nnope");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::document);
  EXPECT_EQ(parser->response().status, 404u);
  EXPECT_EQ(parser->response().reason, "Not Found");
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "text/plain"}}));
  EXPECT_EQ(parser->body_start(), "nope");
}

TEST(CgiResponseStatus, CodeWithoutReasonLeavesTheReasonEmpty) {
  const auto parser = parse("Content-Type: text/plain\nStatus: 500\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().status, 500u);
  EXPECT_EQ(parser->response().reason, "");
}

TEST(CgiResponseStatus, NameIsCaseInsensitive) {
  for (const char* name : {"Status", "status", "STATUS", "sTaTuS"}) {
    const auto parser = parse(std::string(name) + ": 403 Forbidden\nContent-Type: a\n\n");
    ASSERT_EQ(parser->state(), State::complete) << name;
    EXPECT_EQ(parser->response().status, 403u) << name;
    EXPECT_EQ(parser->response().reason, "Forbidden") << name;
    EXPECT_EQ(parser->response().headers.size(), 1u) << name;
  }
}

TEST(CgiResponseStatus, ReasonIsTrimmedAndMayHoldAnyText) {
  const auto parser = parse("Status: 418   I'm a teapot: really!  \nContent-Type: a\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().status, 418u);
  EXPECT_EQ(parser->response().reason, "I'm a teapot: really!");
}

TEST(CgiResponseStatus, TabMaySeparateCodeAndReason) {
  const auto parser = parse("Status: 201\tCreated\nContent-Type: a\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().status, 201u);
  EXPECT_EQ(parser->response().reason, "Created");
}

TEST(CgiResponseStatus, BoundsOfTheCodeRange) {
  for (const char* ok : {"100", "199", "200", "299", "404", "599"}) {
    const auto parser = parse("Status: "s + ok + "\nContent-Type: a\n\n");
    ASSERT_EQ(parser->state(), State::complete) << ok;
    EXPECT_EQ(parser->response().status, unsigned(std::stoul(ok))) << ok;
  }
}

TEST(CgiResponseStatus, MalformedValuesAreInvalid) {
  for (const char* bad :
       {"", "099", "000", "600", "999", "99", "1", "2000", "2000 OK", "20x", "abc", "OK 200",
        "200OK", "+200", "-200", "2 00", "0x1F", "200.0", "\xd9\xa2\xd9\xa0\xd9\xa0"}) {
    const auto parser = parse("Status: "s + bad + "\nContent-Type: a\n\n");
    EXPECT_EQ(parser->state(), State::invalid) << bad;
    EXPECT_NE(parser->error().find("Status is not a code 100-599"), std::string::npos)
        << parser->error();
  }
}

TEST(CgiResponseStatus, TwiceIsInvalid) {
  const auto parser = parse("Status: 200 OK\nContent-Type: a\nstatus: 404\n\n");
  EXPECT_EQ(parser->state(), State::invalid);
  EXPECT_EQ(parser->error(), "more than one Status header");
}

TEST(CgiResponseStatus, DocumentWithStatusStillNeedsContentType) {
  const auto parser = parse("Status: 404 Not Found\n\n");
  EXPECT_EQ(parser->state(), State::invalid);
  EXPECT_NE(parser->error().find("no Content-Type"), std::string::npos);
}

// --- Local redirects -------------------------------------------------------

TEST(CgiResponseLocalRedirect, PathWithoutStatus) {
  const auto parser = parse("Location: /other/page.html\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::local_redirect);
  EXPECT_EQ(parser->response().location, "/other/page.html");
  EXPECT_TRUE(parser->response().headers.empty());
}

TEST(CgiResponseLocalRedirect, PathWithQueryAndCrlf) {
  const auto parser = parse("Location: /search?q=a+b&x=%20\r\n\r\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::local_redirect);
  EXPECT_EQ(parser->response().location, "/search?q=a+b&x=%20");
}

TEST(CgiResponseLocalRedirect, RootPath) {
  const auto parser = parse("Location: /\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::local_redirect);
  EXPECT_EQ(parser->response().location, "/");
}

TEST(CgiResponseLocalRedirect, NameIsCaseInsensitive) {
  for (const char* name : {"location", "LOCATION", "LoCaTiOn"}) {
    const auto parser = parse(std::string(name) + ": /x\n\n");
    ASSERT_EQ(parser->state(), State::complete) << name;
    EXPECT_EQ(parser->response().kind, Kind::local_redirect) << name;
    EXPECT_EQ(parser->response().location, "/x") << name;
  }
}

TEST(CgiResponseLocalRedirect, OtherHeadersAreKeptButLocationIsNotAmongThem) {
  const auto parser = parse("Content-Type: text/plain\nLocation: /x\nX-A: 1\n\nignored");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::local_redirect);
  EXPECT_EQ(parser->response().location, "/x");
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "text/plain"}, {"X-A", "1"}}));
  EXPECT_EQ(parser->body_start(), "ignored");
}

TEST(CgiResponseLocalRedirect, NetworkPathIsNotLocalButAClientRedirect) {
  // "//host/x" names another host: re-dispatching it here would be wrong.
  const auto parser = parse("Location: //example.com/x\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 302u);
  EXPECT_EQ(parser->response().location, "//example.com/x");
}

TEST(CgiResponseLocalRedirect, PathWithStatusGoesToTheClient) {
  const auto parser = parse("Status: 301 Moved Permanently\nLocation: /new\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 301u);
  EXPECT_EQ(parser->response().reason, "Moved Permanently");
  EXPECT_EQ(parser->response().location, "/new");
  EXPECT_TRUE(parser->response().headers.empty());
}

// --- Client redirects ------------------------------------------------------

TEST(CgiResponseClientRedirect, AbsoluteUriWithoutStatusIs302) {
  const auto parser = parse("Location: http://example.com/a?b=c\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 302u);
  EXPECT_EQ(parser->response().reason, "");
  EXPECT_EQ(parser->response().location, "http://example.com/a?b=c");
  EXPECT_TRUE(parser->response().headers.empty());
  EXPECT_TRUE(parser->body_start().empty());
}

TEST(CgiResponseClientRedirect, StatusOverridesThe302) {
  const auto parser =
      parse("Location: https://example.com/\r\nStatus: 301 Moved Permanently\r\n\r\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 301u);
  EXPECT_EQ(parser->response().reason, "Moved Permanently");
  EXPECT_EQ(parser->response().location, "https://example.com/");
}

TEST(CgiResponseClientRedirect, StatusBeforeLocationWorksToo) {
  const auto parser = parse("Status: 307\nLocation: https://example.com/\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 307u);
}

TEST(CgiResponseClientRedirect, AnySchemeCounts) {
  for (const char* uri : {"mailto:someone@example.com", "x-app://open/thing", "ftp://h/f",
                          "urn:isbn:0451450523", "HTTPS://EXAMPLE.COM"}) {
    const auto parser = parse("Location: "s + uri + "\n\n");
    ASSERT_EQ(parser->state(), State::complete) << uri;
    EXPECT_EQ(parser->response().kind, Kind::client_redirect) << uri;
    EXPECT_EQ(parser->response().status, 302u) << uri;
    EXPECT_EQ(parser->response().location, uri);
  }
}

TEST(CgiResponseClientRedirect, DocumentWithRedirectKeepsItsHeadersAndBody) {
  const auto parser = parse(
      "Status: 302 Found\r\n"
      "Location: http://example.com/\r\n"
      "Content-Type: text/html\r\n"
      "\r\n"
      "<a href=\"http://example.com/\">moved</a>");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 302u);
  EXPECT_EQ(parser->response().reason, "Found");
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "text/html"}}));
  EXPECT_EQ(parser->body_start(), "<a href=\"http://example.com/\">moved</a>");
}

TEST(CgiResponseClientRedirect, RelativeReferenceIsPassedToTheClient) {
  // Not allowed by RFC 3875, but real scripts print it and browsers resolve
  // it (RFC 9110 §10.2.2 allows a relative Location).
  const auto parser = parse("Location: login.php?next=1\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 302u);
  EXPECT_EQ(parser->response().location, "login.php?next=1");
}

TEST(CgiResponseClientRedirect, CreatedWithLocationKeepsItsStatus) {
  const auto parser = parse("Status: 201 Created\nLocation: /items/7\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().kind, Kind::client_redirect);
  EXPECT_EQ(parser->response().status, 201u);
  EXPECT_EQ(parser->response().location, "/items/7");
}

TEST(CgiResponseClientRedirect, EmptyLocationIsInvalid) {
  const auto parser = parse("Location:   \nContent-Type: a\n\n");
  EXPECT_EQ(parser->state(), State::invalid);
  EXPECT_EQ(parser->error(), "empty Location header");
}

TEST(CgiResponseClientRedirect, TwoLocationsAreInvalid) {
  const auto parser = parse("Location: /a\nlocation: http://b/\n\n");
  EXPECT_EQ(parser->state(), State::invalid);
  EXPECT_EQ(parser->error(), "more than one Location header");
}

// --- Invalid forms ---------------------------------------------------------

TEST(CgiResponseInvalid, LineWithoutColon) {
  const auto parser = parse("Content-Type: text/plain\nthis is not a header\n\n");
  EXPECT_EQ(parser->state(), State::invalid);
  EXPECT_EQ(parser->error(), "header line without a colon: \"this is not a header\"");
}

TEST(CgiResponseInvalid, NphStatusLineIsNotAHeader) {
  EXPECT_EQ(error_of("HTTP/1.1 200 OK\r\nContent-Type: a\r\n\r\n"),
            "header line without a colon: \"HTTP/1.1 200 OK\"");
}

TEST(CgiResponseInvalid, BodyWithoutHeaders) {
  // A script that forgot its headers: "<html>" has no colon.
  EXPECT_EQ(state_of("<html><body>hi</body></html>\n"), State::invalid);
}

TEST(CgiResponseInvalid, EmptyName) {
  EXPECT_EQ(error_of(": value\n\n"), "header line with an empty name: \": value\"");
}

TEST(CgiResponseInvalid, NamesThatAreNotTokens) {
  for (const char* line : {"Content-Type : a", "Content Type: a", "X(y): 1", "a/b: 1", "X@Y: 1",
                           "X\"Y: 1", "X[1]: 1", "X{1}: 1", "X,Y: 1", "X;Y: 1", "X=Y: 1", "X?Y: 1",
                           "X\\Y: 1", "X\tY: 1", "Caf\xc3\xa9: 1", "X\x7fY: 1", "X\x01Y: 1"}) {
    const auto parser = parse("Content-Type: a\n"s + line + "\n\n");
    EXPECT_EQ(parser->state(), State::invalid) << line;
    EXPECT_EQ(parser->error().rfind("header name is not a token: ", 0), 0u) << parser->error();
  }
}

TEST(CgiResponseInvalid, ContinuationLinesAreRefused) {
  const auto with_space = parse("Content-Type: text/plain\nX-Long: a\n  folded\n\n");
  EXPECT_EQ(with_space->state(), State::invalid);
  EXPECT_EQ(with_space->error(), "continuation line (obs-fold) not allowed: \"  folded\"");

  const auto with_tab = parse("Content-Type: text/plain\r\nX-Long: a\r\n\tfolded\r\n\r\n");
  EXPECT_EQ(with_tab->state(), State::invalid);
  EXPECT_EQ(with_tab->error(), "continuation line (obs-fold) not allowed: \"\\tfolded\"");
}

TEST(CgiResponseInvalid, FirstLineStartingWithBlank) {
  EXPECT_EQ(state_of(" Content-Type: a\n\n"), State::invalid);
  EXPECT_EQ(state_of("\tContent-Type: a\n\n"), State::invalid);
}

TEST(CgiResponseInvalid, NulAnywhereInALine) {
  for (const std::string& line :
       {"X-A: a\0b"s, "X\0A: b"s, "\0X-A: b"s, "X-A: b\0"s, "X-A:\0"s, "\0"s}) {
    const auto parser = parse("Content-Type: a\n" + line + "\n\n");
    EXPECT_EQ(parser->state(), State::invalid);
    EXPECT_EQ(parser->error().rfind("NUL byte in header line: ", 0), 0u) << parser->error();
  }
}

TEST(CgiResponseInvalid, CrInsideALine) {
  for (const std::string& line :
       std::vector<std::string>{"X-A: a\rb", "X\rA: b", "\rX-A: b", "X-A: b\r\r", "\r\r",
                                "X-A: b\r Set-Cookie: evil=1"}) {
    const auto parser = parse("Content-Type: a\n" + line + "\n\n");
    EXPECT_EQ(parser->state(), State::invalid) << line;
    EXPECT_EQ(parser->error().rfind("CR inside header line: ", 0), 0u) << parser->error();
  }
}

TEST(CgiResponseInvalid, ControlCharactersInValues) {
  for (const std::string& value :
       std::vector<std::string>{"a\x01", "\x1b[31mred", "a\x7f", "a\x0b b", "a\x0c"}) {
    const auto parser = parse("Content-Type: a\nX-A: " + value + "\n\n");
    EXPECT_EQ(parser->state(), State::invalid) << value;
    EXPECT_EQ(parser->error().rfind("control character in the value of header \"X-A\": ", 0), 0u)
        << parser->error();
  }
}

TEST(CgiResponseInvalid, DocumentWithoutContentType) {
  const auto parser = parse("X-Powered-By: sh\n\nbody");
  EXPECT_EQ(parser->state(), State::invalid);
  EXPECT_EQ(parser->error(), "no Content-Type (a document response needs one)");
  EXPECT_TRUE(parser->body_start().empty());
}

TEST(CgiResponseInvalid, EmptyHeaderBlock) {
  EXPECT_EQ(state_of("\nbody"), State::invalid);
  EXPECT_EQ(state_of("\r\nbody"), State::invalid);
  EXPECT_EQ(error_of("\n"), "no Content-Type (a document response needs one)");
}

TEST(CgiResponseInvalid, EmptyContentType) {
  EXPECT_EQ(error_of("Content-Type:\n\n"), "empty Content-Type header");
  EXPECT_EQ(error_of("Content-Type:  \t \r\n\r\n"), "empty Content-Type header");
}

TEST(CgiResponseInvalid, TwoContentTypes) {
  EXPECT_EQ(error_of("Content-Type: text/html\ncontent-type: text/plain\n\n"),
            "more than one Content-Type header");
}

TEST(CgiResponseInvalid, ErrorQuotesAndEscapesTheOffendingBytes) {
  EXPECT_EQ(error_of("bad \"line\" \\ \x01\xff\ttab\n\n"),
            "header line without a colon: \"bad \\\"line\\\" \\\\ \\x01\\xff\\ttab\"");
}

TEST(CgiResponseInvalid, ErrorShortensALongLine) {
  const std::string line(500, 'a');
  const std::string error = error_of(line + "\n\n");
  EXPECT_EQ(error, "header line without a colon: \"" + std::string(80, 'a') + "\"...");
}

TEST(CgiResponseInvalid, ErrorIsEmptyUnlessInvalid) {
  CgiResponseParser parser;
  EXPECT_EQ(parser.feed("Content-Type: a\n"), State::need_more);
  EXPECT_EQ(parser.error(), "");
  EXPECT_EQ(parser.feed("\n"), State::complete);
  EXPECT_EQ(parser.error(), "");
}

// --- Content-Length --------------------------------------------------------

TEST(CgiResponseContentLength, ANumberIsKept) {
  const auto parser = parse("Content-Type: a\ncontent-length: 5\n\nhello");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "a"}, {"content-length", "5"}}));
}

TEST(CgiResponseContentLength, ZeroAndTheLargest64BitNumberAreKept) {
  for (const char* number : {"0", "18446744073709551615", "007"}) {
    const auto parser = parse("Content-Type: a\nContent-Length: "s + number + "\n\n");
    ASSERT_EQ(parser->state(), State::complete) << number;
    EXPECT_EQ(parser->response().headers[1].second, number);
  }
}

TEST(CgiResponseContentLength, AnythingElseIsInvalid) {
  for (const char* bad : {"", "abc", "-1", "+5", "1.5", "12 34", "0x10", "5, 5", "1e3",
                          "18446744073709551616", "99999999999999999999999"}) {
    const auto parser = parse("Content-Type: a\nContent-Length: "s + bad + "\n\n");
    EXPECT_EQ(parser->state(), State::invalid) << bad;
    EXPECT_EQ(parser->error().rfind("Content-Length is not a decimal number: ", 0), 0u)
        << parser->error();
  }
}

TEST(CgiResponseContentLength, TwiceIsInvalidEvenWhenEqual) {
  EXPECT_EQ(error_of("Content-Type: a\nContent-Length: 5\nContent-Length: 5\n\n"),
            "more than one Content-Length header");
}

// --- Hop-by-hop headers ----------------------------------------------------

TEST(CgiResponseHopByHop, AreDroppedSilentlyAndTheRestKeptInOrder) {
  const auto parser = parse(
      "X-Before: 1\n"
      "Transfer-Encoding: chunked\n"
      "Connection: close\n"
      "Content-Type: text/plain\n"
      "Keep-Alive: timeout=5\n"
      "Upgrade: websocket\n"
      "Proxy-Connection: keep-alive\n"
      "TE: trailers\n"
      "Trailer: X-Checksum\n"
      "X-After: 2\n"
      "\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers,
            (Headers{{"X-Before", "1"}, {"Content-Type", "text/plain"}, {"X-After", "2"}}));
}

TEST(CgiResponseHopByHop, MatchingIsCaseInsensitive) {
  const auto parser = parse(
      "transfer-encoding: chunked\nCONNECTION: upgrade\nupgrade: h2c\nkeep-alive: 1\n"
      "Content-Type: a\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "a"}}));
}

TEST(CgiResponseHopByHop, SimilarNamesAreNotDropped) {
  const auto parser =
      parse("Content-Type: a\nX-Connection: 1\nConnections: 2\nUpgrade-Insecure-Requests: 1\n\n");
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->response().headers, (Headers{{"Content-Type", "a"},
                                                 {"X-Connection", "1"},
                                                 {"Connections", "2"},
                                                 {"Upgrade-Insecure-Requests", "1"}}));
}

TEST(CgiResponseHopByHop, AreStillCheckedLikeAnyLine) {
  EXPECT_EQ(state_of("Content-Type: a\nConnection: close\x01\n\n"), State::invalid);
  EXPECT_EQ(state_of("Content-Type: a\nTransfer-Encoding: chunked\r\n chunked\n\n"),
            State::invalid);
}

TEST(CgiResponseHopByHop, DoNotCountAsContentType) {
  EXPECT_EQ(error_of("Transfer-Encoding: chunked\n\n"),
            "no Content-Type (a document response needs one)");
}

// --- Header size limit -----------------------------------------------------

TEST(CgiResponseLimit, BlockOfExactlyTheLimitIsAccepted) {
  const std::string block = "Content-Type: text/plain\r\n\r\n";
  const auto parser = parse(block + "body", block.size());
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->body_start(), "body");
}

TEST(CgiResponseLimit, OneByteOverTheLimitIsInvalid) {
  const std::string block = "Content-Type: text/plain\r\n\r\n";
  const auto parser = parse(block, block.size() - 1);
  EXPECT_EQ(parser->state(), State::invalid);
  EXPECT_EQ(parser->error(), "header block longer than " + std::to_string(block.size() - 1) +
                                 " bytes without its end");
}

TEST(CgiResponseLimit, BodyBytesDoNotCount) {
  const std::string block = "Content-Type: a\n\n";
  const std::string body(100000, 'b');
  const auto parser = parse(block + body, block.size());
  ASSERT_EQ(parser->state(), State::complete);
  EXPECT_EQ(parser->body_start(), body);
}

TEST(CgiResponseLimit, LongLineIsRefusedBeforeItsNewlineArrives) {
  CgiResponseParser parser(100);
  EXPECT_EQ(parser.feed(std::string(100, 'x')), State::need_more);
  EXPECT_EQ(parser.feed("x"), State::invalid);
  EXPECT_EQ(parser.error(), "header block longer than 100 bytes without its end");
}

TEST(CgiResponseLimit, ManyShortLinesCountTogether) {
  std::string block;
  for (int i = 0; i < 10; ++i) block += "X-" + std::to_string(i) + ": v\n";
  block += "Content-Type: a\n\n";
  ASSERT_EQ(block.size(), 10u * 7u + 17u);
  EXPECT_EQ(parse(block, 87)->state(), State::complete);
  EXPECT_EQ(parse(block, 86)->state(), State::invalid);
}

TEST(CgiResponseLimit, ByteAtATimeFailsOnTheFirstByteOverTheLimit) {
  const std::string text = "Content-Type: text/plain\nX-Long: " + std::string(100, 'v') + "\n\n";
  const std::size_t limit = 50;
  CgiResponseParser parser(limit);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const State state = parser.feed(text.substr(i, 1));
    EXPECT_EQ(state, i < limit ? State::need_more : State::invalid) << i;
  }
}

TEST(CgiResponseLimit, DefaultLimitIs64KiB) {
  const std::string head = "Content-Type: a\nX-Big: ";
  const std::string tail = "\n\n";
  const std::string fits = head + std::string(64 * 1024 - head.size() - tail.size(), 'v') + tail;
  ASSERT_EQ(fits.size(), 64u * 1024u);
  const auto accepted = parse(fits + "body");
  ASSERT_EQ(accepted->state(), State::complete);
  EXPECT_EQ(accepted->response().headers[1].second.size(), fits.size() - head.size() - 2);
  EXPECT_EQ(accepted->body_start(), "body");

  const std::string too_big = head + std::string(64 * 1024, 'v') + tail;
  EXPECT_EQ(parse(too_big)->state(), State::invalid);
}

TEST(CgiResponseLimit, LimitOfZeroRefusesAnyOutput) {
  CgiResponseParser parser(0);
  EXPECT_EQ(parser.feed(""), State::need_more);
  EXPECT_EQ(parser.feed("\n"), State::invalid);
}

// --- Sticky states and partial input ---------------------------------------

TEST(CgiResponseState, NothingFedStaysNeedMore) {
  CgiResponseParser parser;
  EXPECT_EQ(parser.state(), State::need_more);
  EXPECT_EQ(parser.feed(""), State::need_more);
  EXPECT_TRUE(parser.body_start().empty());
  EXPECT_EQ(parser.error(), "");
}

TEST(CgiResponseState, UnfinishedBlockStaysNeedMore) {
  CgiResponseParser parser;
  EXPECT_EQ(parser.feed("Content-Type: text/plain\nX-A: 1\n"), State::need_more);
  EXPECT_EQ(parser.feed("X-B: 2\r"), State::need_more);
  EXPECT_EQ(parser.feed("\n\r"), State::need_more);
  EXPECT_EQ(parser.feed("\nrest"), State::complete);
  EXPECT_EQ(parser.body_start(), "rest");
  EXPECT_EQ(parser.response().headers,
            (Headers{{"Content-Type", "text/plain"}, {"X-A", "1"}, {"X-B", "2"}}));
}

TEST(CgiResponseState, CompleteIsStickyAndIgnoresLaterInput) {
  CgiResponseParser parser;
  ASSERT_EQ(parser.feed("Content-Type: a\n\nfirst"), State::complete);
  EXPECT_EQ(parser.feed("Status: 500\nX-Late: 1\n\nsecond"), State::complete);
  EXPECT_EQ(parser.feed(""), State::complete);
  EXPECT_EQ(parser.body_start(), "first");
  EXPECT_EQ(parser.response().status, 200u);
  EXPECT_EQ(parser.response().headers, (Headers{{"Content-Type", "a"}}));
}

TEST(CgiResponseState, InvalidIsStickyAndIgnoresLaterInput) {
  CgiResponseParser parser;
  ASSERT_EQ(parser.feed("no colon here\n"), State::invalid);
  const std::string error = parser.error();
  EXPECT_EQ(parser.feed("Content-Type: a\n\nbody"), State::invalid);
  EXPECT_EQ(parser.error(), error);
  EXPECT_TRUE(parser.body_start().empty());
}

TEST(CgiResponseState, InvalidLineIsReportedBeforeTheBlockEnds) {
  CgiResponseParser parser;
  EXPECT_EQ(parser.feed("Content-Type: a\nbad line\n"), State::invalid);
}

// --- Split feeds -----------------------------------------------------------

struct Sample {
  const char* name;
  std::string text;
};

std::vector<Sample> complete_samples() {
  return {
      {"document lf", "Content-Type: text/plain\nX-A:  1 \n\nhello\nworld\n"},
      {"document crlf", "Content-Type: text/plain\r\nX-A:  1 \r\n\r\nhello\r\n"},
      {"document no body lf", "Content-Type: text/plain\n\n"},
      {"document no body crlf", "Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\n"},
      {"mixed endings", "Content-Type: a\r\nX-B: 2\n\r\n\r\nbody"},
      {"local redirect", "Location: /elsewhere?x=1\r\n\r\n"},
      {"client redirect", "Status: 301 Moved\nLocation: https://example.com/\n\n<a>moved</a>"},
      {"hop-by-hop", "Connection: close\r\nContent-Type: a\r\nTransfer-Encoding: chunked\r\n\r\nx"},
      {"binary body", "Content-Type: application/octet-stream\n\n\0\r\n\xff\n"s},
  };
}

TEST(CgiResponseSplit, EveryTwoWaySplitGivesTheSameResult) {
  for (const auto& sample : complete_samples()) {
    const std::string& text = sample.text;
    const auto whole = parse(text);
    ASSERT_EQ(whole->state(), State::complete) << sample.name;
    const std::size_t end = header_end(text);
    ASSERT_NE(end, std::string_view::npos);
    EXPECT_EQ(whole->body_start(), std::string_view(text).substr(end)) << sample.name;

    for (std::size_t split = 0; split <= text.size(); ++split) {
      CgiResponseParser parser;
      const State first = parser.feed(std::string_view(text).substr(0, split));
      EXPECT_EQ(first, split >= end ? State::complete : State::need_more)
          << sample.name << " at " << split;
      EXPECT_EQ(parser.feed(std::string_view(text).substr(split)), State::complete)
          << sample.name << " at " << split;
      expect_same_response(parser.response(), whole->response());
      // The body bytes that came in the feed that completed the block.
      const std::string_view expected_body = split >= end
                                                 ? std::string_view(text).substr(end, split - end)
                                                 : std::string_view(text).substr(end);
      EXPECT_EQ(parser.body_start(), expected_body) << sample.name << " at " << split;
    }
  }
}

TEST(CgiResponseSplit, EveryThreeWaySplitGivesTheSameResult) {
  for (const auto& sample : complete_samples()) {
    const std::string_view text = sample.text;
    const auto whole = parse(text);
    const std::size_t end = header_end(text);
    for (std::size_t a = 0; a <= text.size(); ++a) {
      for (std::size_t b = a; b <= text.size(); ++b) {
        CgiResponseParser parser;
        parser.feed(text.substr(0, a));
        parser.feed(text.substr(a, b - a));
        ASSERT_EQ(parser.feed(text.substr(b)), State::complete)
            << sample.name << " at " << a << "," << b;
        expect_same_response(parser.response(), whole->response());
        std::string_view expected_body;
        if (a >= end) {
          expected_body = text.substr(end, a - end);
        } else if (b >= end) {
          expected_body = text.substr(end, b - end);
        } else {
          expected_body = text.substr(end);
        }
        ASSERT_EQ(parser.body_start(), expected_body) << sample.name << " at " << a << "," << b;
      }
    }
  }
}

TEST(CgiResponseSplit, ByteAtATime) {
  for (const auto& sample : complete_samples()) {
    const std::string_view text = sample.text;
    const auto whole = parse(text);
    const std::size_t end = header_end(text);
    CgiResponseParser parser;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const State state = parser.feed(text.substr(i, 1));
      ASSERT_EQ(state, i + 1 >= end ? State::complete : State::need_more)
          << sample.name << " at " << i;
    }
    expect_same_response(parser.response(), whole->response());
    // The last feed that mattered held the final LF only.
    EXPECT_TRUE(parser.body_start().empty()) << sample.name;
  }
}

TEST(CgiResponseSplit, InvalidResponsesFailTheSameAtEverySplit) {
  const std::vector<std::string> samples = {
      "Content-Type: a\r\nbad line\r\n\r\n",
      "Content-Type: a\nX-A: b\rc\n\n",
      "Content-Type: a\n folded\n\n",
      "Status: 700\nContent-Type: a\n\n",
      "X-A: 1\r\n\r\nbody",
      "Content-Type: a\nX-A: \x01\n\n",
      "Content-Type: a\nContent-Length: x\n\n",
  };
  for (const auto& text : samples) {
    const auto whole = parse(text);
    ASSERT_EQ(whole->state(), State::invalid) << text;
    for (std::size_t split = 0; split <= text.size(); ++split) {
      CgiResponseParser parser;
      parser.feed(std::string_view(text).substr(0, split));
      EXPECT_EQ(parser.feed(std::string_view(text).substr(split)), State::invalid) << text;
      EXPECT_EQ(parser.error(), whole->error()) << text << " at " << split;
    }
    CgiResponseParser byte_by_byte;
    for (char c : text) byte_by_byte.feed(std::string_view(&c, 1));
    EXPECT_EQ(byte_by_byte.state(), State::invalid) << text;
    EXPECT_EQ(byte_by_byte.error(), whole->error()) << text;
  }
}

TEST(CgiResponseSplit, CrAtTheEndOfAFeedWaitsForItsLf) {
  CgiResponseParser parser;
  EXPECT_EQ(parser.feed("Content-Type: a\r"), State::need_more);
  EXPECT_EQ(parser.feed("\n\r"), State::need_more);
  EXPECT_EQ(parser.feed("\n"), State::complete);
  EXPECT_EQ(parser.response().headers, (Headers{{"Content-Type", "a"}}));
}

TEST(CgiResponseSplit, LargeBlockByteAtATimeIsLinear) {
  // A parser that rescanned from the start on every feed would do about
  // 10^11 steps here and hit the test timeout.
  std::string text = "Content-Type: a\n";
  for (int i = 0; i < 1000; ++i)
    text += "X-H" + std::to_string(i) + ": " + std::string(50, 'v') + "\n";
  const std::string long_value(1000000, 'w');
  text += "X-Long: " + long_value + "\n\n";
  CgiResponseParser parser(2 * 1024 * 1024);
  State state = State::need_more;
  for (char c : text) state = parser.feed(std::string_view(&c, 1));
  ASSERT_EQ(state, State::complete);
  ASSERT_EQ(parser.response().headers.size(), 1002u);
  EXPECT_EQ(parser.response().headers.back().second, long_value);
}

}  // namespace
}  // namespace wsexec
