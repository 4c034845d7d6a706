#pragma once
// --logformat=json: one log line as one JSON object, made by nlohmann-json
// (included only in json_log.cpp). Pure: the time is given, nothing is
// written; server/log.cpp chooses the format and writes the line.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/log_level.hpp"

namespace wsexec {

enum class LogFormat { text, json };

// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// "2026-12-03T10:45:49.123Z": RFC 3339, UTC, milliseconds.
std::string rfc3339_utc_millis(std::chrono::system_clock::time_point time);

// The context the log is given (log::make_context: "key:'value' key:'value'")
// back as pairs. A value ends at the quote that is followed by the end or by
// " key:'" with a key of lowercase letters, digits and '_', so quotes inside
// a URL or an origin stay in their value. Text that is not in that shape
// (none of ours) comes back whole under the key "context", never dropped.
std::vector<std::pair<std::string, std::string>> split_log_context(std::string_view context);

// {"time":...,"level":"access","area":...,"message":...,"url":...,...}
// with a newline. Context fields that are numbers by nature (pid, exit,
// status) are JSON numbers when their value is one. Bytes that are not
// UTF-8 (a program's stderr, a URL) are replaced by U+FFFD: the line stays
// valid JSON and readable, at the price of those bytes' exact values.
std::string format_json_log_line(std::chrono::system_clock::time_point time, LogLevel level,
                                 std::string_view area, std::string_view context,
                                 std::string_view message);

}  // namespace wsexec
