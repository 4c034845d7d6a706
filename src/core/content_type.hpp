#pragma once
// Content-Type for a static file, by its extension. Pure.
#include <string_view>

namespace wsexec {

// By file extension (what follows the last '.' of the last path segment),
// case-insensitive: html/htm, css, js/mjs (text/javascript), json, txt, xml,
// svg, png, jpg/jpeg, gif, webp, ico, avif, wasm, pdf, woff/woff2, ttf/otf,
// mp3, ogg/oga, opus, wav, flac, mp4/m4v, webm, ogv, mov, m4a, zip, gz, tar,
// csv, md, map (application/json), webmanifest. Text types (text/*,
// javascript, json, svg+xml, xml) get "; charset=utf-8"; anything else,
// and a name without an extension, "application/octet-stream".
// "a/b.tar.gz" -> "application/gzip"; "Makefile", "dir.d/file" -> octet-stream.
std::string_view content_type_for(std::string_view file_name);

}  // namespace wsexec
