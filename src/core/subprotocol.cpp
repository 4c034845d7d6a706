#include "core/subprotocol.hpp"

#include <algorithm>

#include "core/config.hpp"
#include "core/option_values.hpp"

namespace wsexec {
namespace {

// Optional white space around the items of an HTTP list (RFC 9110 5.6.1).
std::string_view trim_blanks(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

bool client_offers(const std::vector<std::string_view>& offered, std::string_view protocol) {
  for (std::string_view list : offered) {
    while (true) {
      const auto comma = list.find(',');
      if (trim_blanks(list.substr(0, comma)) == protocol) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> parse_subprotocol_list(const std::string& text) {
  std::vector<std::string> protocols = split_list(text);
  if (protocols.empty()) {
    throw ConfigError("--subprotocol needs at least one protocol name, e.g. --subprotocol=chat.v1",
                      1);
  }
  for (const std::string& protocol : protocols) {
    if (!is_header_token(protocol)) {
      throw ConfigError("--subprotocol: \"" + protocol +
                            "\" is not a valid protocol name (letters, digits and !#$%&'*+-.^_`|~ "
                            "only, no spaces)",
                        1);
    }
  }
  return protocols;
}

std::optional<std::size_t> choose_subprotocol(const std::vector<std::string>& ours,
                                              const std::vector<std::string_view>& offered) {
  for (std::size_t i = 0; i < ours.size(); ++i) {
    if (client_offers(offered, ours[i])) return i;
  }
  return std::nullopt;
}

}  // namespace wsexec
