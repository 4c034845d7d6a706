#pragma once
// Log levels in websocketd's order: a line is written when its level is at
// or above --loglevel.
#include <optional>
#include <string_view>

namespace wsexec {

enum class LogLevel { debug, trace, access, info, error, fatal, none };

std::optional<LogLevel> parse_log_level(std::string_view name);

// "DEBUG", "TRACE", "ACCESS", "INFO", "ERROR", "FATAL".
std::string_view log_level_label(LogLevel level);

}  // namespace wsexec
