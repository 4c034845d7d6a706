#include "core/terminal_session.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "core/limits.hpp"

namespace wsexec {
namespace {

unsigned bounded_side(unsigned long long side) {
  return static_cast<unsigned>(std::clamp<unsigned long long>(side, 1, limits::kMaxTerminalSide));
}

// A query value as a number, if it is only decimal digits. Overflow counts
// as the largest number (then bounded), not as garbage.
std::optional<unsigned long long> decimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (end != text.data() + text.size()) return std::nullopt;
  if (error == std::errc::result_out_of_range) return ~0ULL;
  if (error != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

TerminalSize bounded_terminal_size(unsigned long long columns, unsigned long long rows) {
  return {bounded_side(columns), bounded_side(rows)};
}

TerminalSize terminal_size_from_query(std::string_view query) {
  unsigned long long columns = limits::kDefaultTerminalColumns;
  unsigned long long rows = limits::kDefaultTerminalRows;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = pair.substr(0, equals);
    const auto value = decimal(pair.substr(equals + 1));
    if (name == "cols") columns = value.value_or(limits::kDefaultTerminalColumns);
    if (name == "rows") rows = value.value_or(limits::kDefaultTerminalRows);
  }
  return bounded_terminal_size(columns, rows);
}

void set_terminal_type(std::vector<std::string>& environment, TerminalMode mode) {
  if (mode == TerminalMode::none) return;
  const auto is_term = [](const std::string& entry) { return entry.starts_with("TERM="); };
  const auto existing = std::find_if(environment.begin(), environment.end(), is_term);
  if (mode == TerminalMode::session && existing != environment.end()) return;
  const std::string wanted =
      mode == TerminalMode::stdout_only ? "TERM=dumb" : "TERM=xterm-256color";
  if (existing != environment.end()) {
    *existing = wanted;
    return;
  }
  // Kept sorted, as build_child_environment returns it.
  environment.insert(std::upper_bound(environment.begin(), environment.end(), wanted), wanted);
}

}  // namespace wsexec
