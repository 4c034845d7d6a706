# Turns INPUT into OUTPUT, a C++ file defining
#   std::string_view wsexec::FUNCTION();
# that returns INPUT's bytes, so the binary needs no file at run time (the
# dev console page, the LICENSE that --license prints). Bytes, not a string
# literal: no character in the file can end the literal or need escaping.
# HEADER, if given, is included so the definition is checked against its
# declaration.
#
#   cmake -DINPUT=file -DOUTPUT=file.cpp -DFUNCTION=name [-DHEADER=dir/name.hpp]
#         -P embed_file.cmake
foreach(required INPUT OUTPUT FUNCTION)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "embed_file.cmake needs -D${required}=...")
  endif()
endforeach()
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
get_filename_component(input_name "${INPUT}" NAME)
if(DEFINED HEADER)
  set(include_line "#include \"${HEADER}\"\n")
else()
  set(include_line "")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${input_name} by cmake/embed_file.cmake.\n"
  "${include_line}#include <string_view>\n\n"
  "namespace wsexec {\nnamespace {\n\n"
  "const unsigned char kBytes[] = {${bytes}};\n\n"
  "}  // namespace\n\n"
  "std::string_view ${FUNCTION}();\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  return {reinterpret_cast<const char*>(kBytes), sizeof kBytes};\n"
  "}\n\n"
  "}  // namespace wsexec\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
