#include "core/json_log.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace wsexec {
namespace {

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// The length of the "key" in "key:'" at `at`, or 0 when no field starts there.
std::size_t field_key_length(std::string_view context, std::size_t at) {
  std::size_t end = at;
  while (end < context.size() && is_key_char(context[end])) ++end;
  if (end == at || context.substr(end, 2) != ":'") return 0;
  return end - at;
}

// Where the value starting at `from` ends: its closing quote.
std::size_t value_end(std::string_view context, std::size_t from) {
  for (std::size_t quote = context.find('\'', from); quote != std::string_view::npos;
       quote = context.find('\'', quote + 1)) {
    if (quote + 1 == context.size()) return quote;
    if (context[quote + 1] == ' ' && field_key_length(context, quote + 2) > 0) return quote;
  }
  return std::string_view::npos;
}

bool is_numeric_field(std::string_view key) {
  return key == "pid" || key == "exit" || key == "status";
}

// The value as a JSON number when it is a whole number that fits, else as
// the text it is.
nlohmann::json field_value(std::string_view key, const std::string& value) {
  if (is_numeric_field(key)) {
    long long number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (error == std::errc() && end == value.data() + value.size()) return number;
  }
  return value;
}

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  return std::nullopt;
}

std::string rfc3339_utc_millis(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<milliseconds>(time.time_since_epoch());
  // Floor, not truncation: a time before 1970 still gets milliseconds in 0..999.
  const auto whole_seconds = floor<seconds>(since_epoch);
  const auto millis = (since_epoch - whole_seconds).count();
  const std::time_t seconds_value = whole_seconds.count();
  std::tm utc{};
  gmtime_r(&seconds_value, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return std::string(text, n) + fraction;
}

std::vector<std::pair<std::string, std::string>> split_log_context(std::string_view context) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t at = 0;
  while (at < context.size()) {
    const std::size_t key_length = field_key_length(context, at);
    const std::size_t value_start = at + key_length + 2;
    const std::size_t end =
        key_length == 0 ? std::string_view::npos : value_end(context, value_start);
    if (end == std::string_view::npos) {
      fields.emplace_back("context", std::string(context.substr(at)));
      break;
    }
    fields.emplace_back(std::string(context.substr(at, key_length)),
                        std::string(context.substr(value_start, end - value_start)));
    at = end + 2;  // past the quote and the space
  }
  return fields;
}

std::string format_json_log_line(std::chrono::system_clock::time_point time, LogLevel level,
                                 std::string_view area, std::string_view context,
                                 std::string_view message) {
  std::string level_name(log_level_label(level));
  for (char& c : level_name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  // ordered_json: time, level, area and message first, as a reader scans them.
  nlohmann::ordered_json line;
  line["time"] = rfc3339_utc_millis(time);
  line["level"] = level_name;
  line["area"] = std::string(area);
  line["message"] = std::string(message);
  for (auto& [key, value] : split_log_context(context)) {
    // A context field never replaces one of the four above.
    if (!line.contains(key)) line[key] = field_value(key, value);
  }
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  return text;
}

}  // namespace wsexec
