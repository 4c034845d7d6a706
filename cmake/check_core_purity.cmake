# Fails the build when a file under src/core/ includes an I/O header.
# src/core/ is the pure layer (values in, values out): the unit tests and the
# fuzzers link it alone, and nothing in it may reach a socket, a process, a
# clock-driven event loop or TLS. A convention would erode; a build error
# does not.
#
#   cmake -DCORE_DIR=src/core -DSTAMP=file -P check_core_purity.cmake
file(GLOB core_files "${CORE_DIR}/*.hpp" "${CORE_DIR}/*.cpp")
set(forbidden
  "boost/asio" "boost/beast" "boost/process" "openssl/"
  "sys/socket.h" "sys/wait.h" "sys/epoll.h" "unistd.h" "fcntl.h"
  "pthread.h" "<thread>" "<mutex>" "<fstream>" "<iostream>")
set(violations "")
foreach(path ${core_files})
  file(STRINGS "${path}" includes REGEX "^[ \t]*#[ \t]*include")
  foreach(line ${includes})
    foreach(header ${forbidden})
      string(FIND "${line}" "${header}" at)
      if(NOT at EQUAL -1)
        string(APPEND violations "\n  ${path}: ${line}")
      endif()
    endforeach()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "src/core/ must stay pure (no I/O headers); found:${violations}\n"
                      "Move the I/O part to src/process, src/http, src/websocket or src/server.")
endif()
file(WRITE "${STAMP}" "src/core is pure\n")
