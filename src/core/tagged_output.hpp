#pragma once
// --passstderr framing: each line of stdout or stderr becomes one JSON text
// message, {"stream":"stdout","data":"..."}, so a client can tell them apart.
#include <string>
#include <string_view>

namespace wsexec {

enum class OutputStream { stdout_stream, stderr_stream };

// Appends the JSON object for one line (already valid UTF-8) to `out`:
// exactly {"stream":"stdout"|"stderr","data":"<line, JSON-escaped>"} with no
// spaces; control characters escaped as \n, \r, \t, \", \\, or \u00XX.
void append_tagged_line(OutputStream stream, std::string_view line, std::string& out);

}  // namespace wsexec
