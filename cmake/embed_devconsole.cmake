# Turns INPUT (the dev console's HTML) into OUTPUT, a C++ file defining
# wsexec::devconsole_page(). Bytes, not a string literal: no character in the
# page can end the literal or need escaping.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
  "// Generated from src/http/devconsole.html by cmake/embed_devconsole.cmake.\n"
  "#include \"http/devconsole_page.hpp\"\n\n"
  "namespace wsexec {\nnamespace {\n\n"
  "const unsigned char kPage[] = {${bytes}};\n\n"
  "}  // namespace\n\n"
  "std::string_view devconsole_page() {\n"
  "  return {reinterpret_cast<const char*>(kPage), sizeof kPage};\n"
  "}\n\n"
  "}  // namespace wsexec\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
