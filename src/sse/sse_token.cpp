#include "sse/sse_token.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace wsexec {

std::string new_session_token() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    filled += static_cast<std::size_t>(got);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string token;
  token.reserve(2 * bytes.size());
  for (const unsigned char byte : bytes) {
    token += kHex[byte >> 4];
    token += kHex[byte & 0xf];
  }
  return token;
}

std::string token_for_log(std::string_view token) {
  constexpr std::size_t kShown = 8;
  if (token.size() <= kShown) return "…";
  return std::string(token.substr(0, kShown)) + "…";
}

}  // namespace wsexec
