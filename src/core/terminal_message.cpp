#include "core/terminal_message.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace wsexec {
namespace {

using Json = nlohmann::json;

TerminalMessage typed_as_is(std::string_view text) {
  TerminalMessage message;
  message.input = std::string(text);
  return message;
}

TerminalMessage refused(std::string problem) {
  TerminalMessage message;
  message.kind = TerminalMessage::Kind::refused;
  message.problem = std::move(problem);
  return message;
}

// A side of a resize: a non-negative integer (JSON has no other kind of
// number that makes sense here; 80.0 is accepted as the integer it is).
bool read_side(const Json& object, const char* name, unsigned long long& side) {
  const auto found = object.find(name);
  if (found == object.end() || !found->is_number()) return false;
  if (found->is_number_unsigned() || found->is_number_integer()) {
    if (found->is_number_integer() && found->get<long long>() < 0) return false;
    side = found->get<unsigned long long>();
    return true;
  }
  // A double can hold an integer far beyond any integer type (1.2e20):
  // converting it is undefined behaviour, so whole values from 2^64 up are
  // read as "as large as can be", which the bound then brings down.
  const double value = found->get<double>();
  if (!(value >= 0) || value != std::floor(value)) return false;
  constexpr double kTwoToThe64 = 18446744073709551616.0;
  side = value >= kTwoToThe64 ? std::numeric_limits<unsigned long long>::max()
                              : static_cast<unsigned long long>(value);
  return true;
}

TerminalMessage read_resize(const Json& object) {
  unsigned long long columns = 0;
  unsigned long long rows = 0;
  if (!read_side(object, "cols", columns) || !read_side(object, "rows", rows)) {
    return refused("a resize needs \"cols\" and \"rows\" as non-negative integers");
  }
  TerminalMessage message;
  message.kind = TerminalMessage::Kind::resize;
  message.size = bounded_terminal_size(columns, rows);
  return message;
}

TerminalMessage read_input(const Json& object) {
  const auto data = object.find("data");
  if (data == object.end() || !data->is_string()) {
    return refused("an input message needs \"data\" as a string");
  }
  TerminalMessage message;
  message.input = data->get<std::string>();
  return message;
}

}  // namespace

TerminalMessage read_terminal_message(std::string_view text) {
  // Cheap test first: keystrokes are the common case and rarely start with '{'.
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return typed_as_is(text);
  const Json object = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return typed_as_is(text);
  const auto type = object.find("type");
  if (type == object.end() || !type->is_string()) return typed_as_is(text);
  const auto& name = type->get_ref<const std::string&>();
  if (name == "resize") return read_resize(object);
  if (name == "input") return read_input(object);
  return typed_as_is(text);
}

}  // namespace wsexec
