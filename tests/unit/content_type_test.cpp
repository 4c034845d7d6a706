#include "core/content_type.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace wsexec {
namespace {

constexpr std::string_view octet_stream = "application/octet-stream";

TEST(ContentType, EveryListedExtension) {
  const std::vector<std::pair<std::string, std::string>> expected{
      {"index.html", "text/html; charset=utf-8"},
      {"old.htm", "text/html; charset=utf-8"},
      {"style.css", "text/css; charset=utf-8"},
      {"app.js", "text/javascript; charset=utf-8"},
      {"module.mjs", "text/javascript; charset=utf-8"},
      {"data.json", "application/json; charset=utf-8"},
      {"notes.txt", "text/plain; charset=utf-8"},
      {"feed.xml", "text/xml; charset=utf-8"},
      {"logo.svg", "image/svg+xml; charset=utf-8"},
      {"a.png", "image/png"},
      {"a.jpg", "image/jpeg"},
      {"a.jpeg", "image/jpeg"},
      {"a.gif", "image/gif"},
      {"a.webp", "image/webp"},
      {"favicon.ico", "image/x-icon"},
      {"a.avif", "image/avif"},
      {"module.wasm", "application/wasm"},
      {"doc.pdf", "application/pdf"},
      {"f.woff", "font/woff"},
      {"f.woff2", "font/woff2"},
      {"f.ttf", "font/ttf"},
      {"f.otf", "font/otf"},
      {"song.mp3", "audio/mpeg"},
      {"song.ogg", "audio/ogg"},
      {"song.oga", "audio/ogg"},
      {"voice.opus", "audio/ogg"},
      {"sound.wav", "audio/wav"},
      {"sound.flac", "audio/flac"},
      {"film.mp4", "video/mp4"},
      {"film.m4v", "video/mp4"},
      {"film.webm", "video/webm"},
      {"film.ogv", "video/ogg"},
      {"film.mov", "video/quicktime"},
      {"song.m4a", "audio/mp4"},
      {"a.zip", "application/zip"},
      {"a.gz", "application/gzip"},
      {"a.tar", "application/x-tar"},
      {"table.csv", "text/csv; charset=utf-8"},
      {"README.md", "text/markdown; charset=utf-8"},
      {"app.js.map", "application/json; charset=utf-8"},
      {"site.webmanifest", "application/manifest+json; charset=utf-8"},
  };
  for (const auto& [name, type] : expected) EXPECT_EQ(content_type_for(name), type) << name;
}

TEST(ContentType, CaseInsensitive) {
  EXPECT_EQ(content_type_for("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("Photo.JpEg"), "image/jpeg");
  EXPECT_EQ(content_type_for("FONT.WOFF2"), "font/woff2");
  EXPECT_EQ(content_type_for("a.WebManifest"), "application/manifest+json; charset=utf-8");
}

TEST(ContentType, OnlyTheLastExtensionCounts) {
  EXPECT_EQ(content_type_for("backup.tar.gz"), "application/gzip");
  EXPECT_EQ(content_type_for("page.html.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("script.js.bak"), octet_stream);
}

TEST(ContentType, PathsUseTheLastSegment) {
  EXPECT_EQ(content_type_for("site/css/main.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("/abs/path/x.png"), "image/png");
  EXPECT_EQ(content_type_for("dir.html/file"), octet_stream);
  EXPECT_EQ(content_type_for("v1.2/LICENSE"), octet_stream);
}

TEST(ContentType, UnknownOrNoExtension) {
  EXPECT_EQ(content_type_for("Makefile"), octet_stream);
  EXPECT_EQ(content_type_for("run.sh"), octet_stream);
  EXPECT_EQ(content_type_for("data.bin"), octet_stream);
  EXPECT_EQ(content_type_for("name."), octet_stream);
  EXPECT_EQ(content_type_for(""), octet_stream);
  EXPECT_EQ(content_type_for("."), octet_stream);
  EXPECT_EQ(content_type_for("a.htmlx"), octet_stream);
  EXPECT_EQ(content_type_for("a.ht"), octet_stream);
  EXPECT_EQ(content_type_for("a.xhtmlxhtmlxhtmlxhtml"), octet_stream);
}

TEST(ContentType, DotfileNamedLikeAnExtension) {
  EXPECT_EQ(content_type_for(".html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("dir/.json"), "application/json; charset=utf-8");
}

TEST(ContentType, TextTypesCarryACharsetAndBinaryTypesDoNot) {
  for (const char* name : {"a.html", "a.css", "a.js", "a.json", "a.txt", "a.xml", "a.svg", "a.csv",
                           "a.md", "a.map", "a.webmanifest"}) {
    EXPECT_TRUE(content_type_for(name).ends_with("; charset=utf-8")) << name;
  }
  for (const char* name : {"a.png", "a.jpg", "a.wasm", "a.pdf", "a.woff2", "a.mp3", "a.mp4",
                           "a.zip", "a.gz", "a.tar", "a.ico", "a.bin"}) {
    EXPECT_EQ(content_type_for(name).find("charset"), std::string_view::npos) << name;
  }
}

TEST(ContentType, ExtensionWithUtf8Name) {
  EXPECT_EQ(content_type_for("r\xC3\xA9sum\xC3\xA9.pdf"), "application/pdf");
  EXPECT_EQ(content_type_for("file.\xC3\xA9"), octet_stream);
}

}  // namespace
}  // namespace wsexec
