#pragma once
// websocketd-compatible log lines on stdout:
//   Sat, 21 Nov 2026 05:34:57 +0000 | ACCESS | session    | url:'...' id:'...' | CONNECT
// Thread-safe; each line is written whole, so lines of different threads
// never interleave.
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "core/json_log.hpp"
#include "core/log_level.hpp"

namespace wsexec::log {

void set_level(LogLevel minimum);
bool enabled(LogLevel level);
// --logformat: websocketd's lines (the default) or one JSON object a line.
void set_format(LogFormat format);

// `area` is a short word (server, http, session, process, stderr);
// `context` the key:'value' pairs made by make_context(), or empty.
void write(LogLevel level, std::string_view area, std::string_view context,
           std::string_view message);

// "key:'value' key:'value'": the per-connection context of every line.
std::string make_context(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs);

// Appends " key:'value'" to a context made earlier (e.g. the pid, once known).
void add_to_context(std::string& context, std::string_view key, std::string_view value);

inline void info(std::string_view area, std::string_view message) {
  write(LogLevel::info, area, {}, message);
}
inline void error(std::string_view area, std::string_view message) {
  write(LogLevel::error, area, {}, message);
}

}  // namespace wsexec::log
