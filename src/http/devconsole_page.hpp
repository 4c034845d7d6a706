#pragma once
// The --devconsole page: src/devconsole.html, compiled into the binary at
// build time (cmake/embed_file.cmake), so wsexec needs no files at run
// time and the page works offline.
#include <string_view>

namespace wsexec {

std::string_view devconsole_page();

}  // namespace wsexec
