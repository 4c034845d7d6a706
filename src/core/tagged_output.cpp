#include "core/tagged_output.hpp"

namespace wsexec {
namespace {

std::string_view stream_name(OutputStream stream) {
  return stream == OutputStream::stderr_stream ? "stderr" : "stdout";
}

// The short escape for a character JSON requires escaped, or nullptr when
// it has none and needs \u00XX.
const char* short_escape(char c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    default:
      return nullptr;
  }
}

bool needs_escape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

void append_escaped(char c, std::string& out) {
  if (const char* escape = short_escape(c)) {
    out.append(escape);
    return;
  }
  constexpr char hex_digits[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  out.append("\\u00");
  out.push_back(hex_digits[byte >> 4]);
  out.push_back(hex_digits[byte & 0xF]);
}

// Copies runs that need no escaping in one append: lines are mostly plain.
void append_json_string_body(std::string_view text, std::string& out) {
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!needs_escape(text[i])) continue;
    out.append(text.substr(run_start, i - run_start));
    append_escaped(text[i], out);
    run_start = i + 1;
  }
  out.append(text.substr(run_start));
}

}  // namespace

void append_tagged_line(OutputStream stream, std::string_view line, std::string& out) {
  out.append(R"({"stream":")");
  out.append(stream_name(stream));
  out.append(R"(","data":")");
  append_json_string_body(line, out);
  out.append(R"("})");
}

}  // namespace wsexec
