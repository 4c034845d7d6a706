#include "server/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <mutex>

namespace wsexec::log {
namespace {

std::atomic<LogLevel> g_minimum{LogLevel::access};
std::atomic<LogFormat> g_format{LogFormat::text};
std::mutex g_write_mutex;

void append_padded(std::string& line, std::string_view text, std::size_t width) {
  line += text;
  if (text.size() < width) line.append(width - text.size(), ' ');
}

void append_timestamp(std::string& line) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[64];
  const std::size_t n = std::strftime(stamp, sizeof stamp, "%a, %d %b %Y %H:%M:%S %z", &local);
  line.append(stamp, n);
}

// One write(2) per line under a mutex: stdio buffering would hold lines back
// from `journalctl -f` or a pipe, and a line must never be split.
void write_all(const std::string& line) {
  std::lock_guard lock(g_write_mutex);
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout is gone; the server keeps serving without a log
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

void set_level(LogLevel minimum) {
  g_minimum.store(minimum, std::memory_order_relaxed);
}

void set_format(LogFormat format) {
  g_format.store(format, std::memory_order_relaxed);
}

bool enabled(LogLevel level) {
  return level != LogLevel::none && level >= g_minimum.load(std::memory_order_relaxed);
}

void write(LogLevel level, std::string_view area, std::string_view context,
           std::string_view message) {
  if (!enabled(level)) return;
  if (g_format.load(std::memory_order_relaxed) == LogFormat::json) {
    return write_all(
        format_json_log_line(std::chrono::system_clock::now(), level, area, context, message));
  }
  std::string line;
  line.reserve(64 + area.size() + context.size() + message.size());
  append_timestamp(line);
  line += " | ";
  append_padded(line, log_level_label(level), 6);
  line += " | ";
  append_padded(line, area, 10);
  line += " | ";
  line += context;
  line += " | ";
  line += message;
  line += '\n';
  write_all(line);
}

// A context lives as long as its connection, one per client of a shared
// program among thousands: it is made to its exact size, not grown by
// doubling (a shared client's 133 characters would otherwise hold 241 bytes).
namespace {

std::size_t pair_size(bool first, std::string_view key, std::string_view value) {
  return (first ? 0 : 1) + key.size() + 3 + value.size();  // [' ']key:'value'
}

void append_pair(std::string& context, std::string_view key, std::string_view value) {
  if (!context.empty()) context += ' ';
  context += key;
  context += ":'";
  context += value;
  context += '\'';
}

}  // namespace

std::string make_context(
    std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::size_t size = 0;
  for (const auto& [key, value] : pairs) size += pair_size(size == 0, key, value);
  std::string context;
  context.reserve(size);  // from empty, reserve gives exactly this
  for (const auto& [key, value] : pairs) append_pair(context, key, value);
  return context;
}

void add_to_context(std::string& context, std::string_view key, std::string_view value) {
  const std::size_t size = context.size() + pair_size(context.empty(), key, value);
  if (size > context.capacity()) {
    // Growing in place would double the capacity: move to a string of the new size.
    std::string grown;
    grown.reserve(size);
    grown = context;
    context = std::move(grown);
  }
  append_pair(context, key, value);
}

}  // namespace wsexec::log
