#include "core/log_level.hpp"

#include <array>
#include <utility>

namespace wsexec {
namespace {

constexpr std::array<std::pair<std::string_view, LogLevel>, 7> kLevels = {{
    {"debug", LogLevel::debug},
    {"trace", LogLevel::trace},
    {"access", LogLevel::access},
    {"info", LogLevel::info},
    {"error", LogLevel::error},
    {"fatal", LogLevel::fatal},
    {"none", LogLevel::none},
}};

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (const auto& [text, level] : kLevels) {
    if (text == name) return level;
  }
  return std::nullopt;
}

std::string_view log_level_label(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "DEBUG";
    case LogLevel::trace:
      return "TRACE";
    case LogLevel::access:
      return "ACCESS";
    case LogLevel::info:
      return "INFO";
    case LogLevel::error:
      return "ERROR";
    case LogLevel::fatal:
      return "FATAL";
    case LogLevel::none:
      break;
  }
  return "NONE";
}

}  // namespace wsexec
