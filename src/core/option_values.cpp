#include "core/option_values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

namespace wsexec {
namespace {

[[noreturn]] void refuse(std::string_view option, const std::string& why) {
  throw ConfigError("--" + std::string(option) + " " + why, 1);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

bool is_header_token(std::string_view name) {
  static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || specials.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> items;
  while (true) {
    const auto comma = list.find(',');
    const auto item = trim(list.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) return items;
    list.remove_prefix(comma + 1);
  }
}

unsigned long long parse_number(std::string_view option, const std::string& text,
                                unsigned long long max, unsigned long long min) {
  unsigned long long value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
    refuse(option, "needs a whole number from " + std::to_string(min) + " to " +
                       std::to_string(max) + ", not \"" + text + "\"");
  }
  return value;
}

bool parse_bool(std::string_view option, const std::string& text) {
  static const std::map<std::string, bool, std::less<>> spellings = {
      {"1", true},    {"t", true},      {"T", true},      {"true", true},
      {"TRUE", true}, {"True", true},   {"0", false},     {"f", false},
      {"F", false},   {"false", false}, {"FALSE", false}, {"False", false}};
  const auto found = spellings.find(text);
  if (found == spellings.end()) {
    refuse(option, text.empty() ? "takes true or false, not an empty value"
                                : "takes true or false, not \"" + text + "\"");
  }
  return found->second;
}

std::string parse_address(const std::string& text) {
  if (text.starts_with('[')) {
    if (!text.ends_with(']')) refuse("address", "\"" + text + "\" is missing its closing ]");
    std::string inner = text.substr(1, text.size() - 2);
    in6_addr parsed{};
    if (inet_pton(AF_INET6, inner.c_str(), &parsed) != 1) {
      refuse("address", "\"" + text + "\" is not an IPv6 address");
    }
    return inner;
  }
  if (text.find(':') != std::string::npos) {
    refuse("address", "\"" + text + "\": write an IPv6 address in brackets, e.g. [::1]");
  }
  const bool plausible_name =
      !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-';
      });
  if (!plausible_name) refuse("address", "\"" + text + "\" is not an IP address or host name");
  return text;
}

HeaderField parse_header(std::string_view option, const std::string& text) {
  const auto colon = text.find(':');
  const auto name = trim(std::string_view(text).substr(0, colon));
  if (colon == std::string::npos || !is_header_token(name)) {
    refuse(option, "needs \"Name: value\", not \"" + text + "\"");
  }
  const auto value = trim(std::string_view(text).substr(colon + 1));
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    refuse(option, "value must be on one line");
  }
  return {std::string(name), std::string(value)};
}

void FlagValue::parse(boost::any& store, const std::vector<std::string>& tokens, bool) const {
  if (store.empty()) store = std::vector<std::string>();
  auto& occurrences = boost::any_cast<std::vector<std::string>&>(store);
  occurrences.push_back(tokens.empty() ? "true" : tokens.front());
}

std::vector<std::string> StoredOptions::all(std::string_view name) const {
  if (!given(name)) return {};
  return map_[std::string(name)].as<std::vector<std::string>>();
}

bool StoredOptions::flag(std::string_view name) const {
  return given(name) &&
         last(name, [name](const std::string& text) { return parse_bool(name, text); });
}

ConfigError StoredOptions::located(std::string_view name, std::size_t index,
                                   const ConfigError& error) const {
  if (origins_ == nullptr) return error;
  const auto found = origins_->find(name);
  if (found == origins_->end() || index >= found->second.size()) return error;
  return ConfigError(found->second[index] + ": " + error.what(), error.exit_status());
}

unsigned long long StoredOptions::number(std::string_view name, unsigned long long max,
                                         unsigned long long min) const {
  return last(name, [&](const std::string& text) { return parse_number(name, text, max, min); });
}

}  // namespace wsexec
