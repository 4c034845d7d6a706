#pragma once
// The --pty --devconsole page: src/http/terminal.html with xterm.js bundled
// in (cmake/bundle_terminal_page.py), compiled into the binary at build time
// (cmake/embed_file.cmake), so the terminal works offline.
#include <string_view>

namespace wsexec {

std::string_view terminal_page();

}  // namespace wsexec
