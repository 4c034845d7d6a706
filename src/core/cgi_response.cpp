#include "core/cgi_response.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace wsexec {
namespace {

// How much of an offending line the log message shows.
constexpr std::size_t quoted_limit = 80;

// tchar of RFC 9110 §5.6.2.
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Control characters a field value must not carry (HT is allowed).
bool is_bad_control(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 7> names = {
      "Connection", "Keep-Alive",        "Proxy-Connection", "TE",
      "Trailer",    "Transfer-Encoding", "Upgrade"};
  return std::any_of(names.begin(), names.end(),
                     [&](std::string_view hop) { return iequals(name, hop); });
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  return text;
}

// The bytes between double quotes, printable ASCII as is and everything else
// escaped, so a hostile script cannot forge log lines; long text is cut.
std::string quote(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  const std::size_t shown = std::min(text.size(), quoted_limit);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += char(c);
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  out += '"';
  if (shown < text.size()) out += "...";
  return out;
}

// "NNN" or "NNN reason", NNN in 100-599.
bool parse_status(std::string_view value, unsigned& status, std::string& reason) {
  if (value.size() < 3) return false;
  unsigned number = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (value[i] < '0' || value[i] > '9') return false;
    number = number * 10 + unsigned(value[i] - '0');
  }
  if (number < 100 || number > 599) return false;
  if (value.size() > 3 && !is_blank(value[3])) return false;
  status = number;
  reason = std::string(trim_blanks(value.substr(3)));
  return true;
}

bool is_decimal_u64(std::string_view value) {
  if (value.empty()) return false;
  if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  std::uint64_t number = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  return error == std::errc() && end == value.data() + value.size();
}

}  // namespace

CgiResponseParser::CgiResponseParser(std::size_t max_header_bytes)
    : max_header_bytes_(max_header_bytes) {}

CgiResponseParser::State CgiResponseParser::feed(std::string_view bytes) {
  while (state_ == State::need_more && !bytes.empty()) {
    const auto newline = bytes.find('\n');
    const std::size_t taken = newline == std::string_view::npos ? bytes.size() : newline + 1;
    header_bytes_ += taken;
    if (header_bytes_ > max_header_bytes_) {
      fail("header block longer than " + std::to_string(max_header_bytes_) +
           " bytes without its end");
      break;
    }
    if (newline == std::string_view::npos) {
      line_.append(bytes);
      break;
    }
    std::string_view line = bytes.substr(0, newline);
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    const bool ended = take_line(line);
    line_.clear();
    bytes.remove_prefix(taken);
    if (ended && state_ == State::complete) body_start_.assign(bytes);
  }
  return state_;
}

bool CgiResponseParser::take_line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) {
    finish_block();
    return true;
  }
  if (line.find('\0') != std::string_view::npos) {
    fail("NUL byte in header line: " + quote(line));
    return false;
  }
  if (line.find('\r') != std::string_view::npos) {
    fail("CR inside header line: " + quote(line));
    return false;
  }
  if (is_blank(line.front())) {
    fail("continuation line (obs-fold) not allowed: " + quote(line));
    return false;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    fail("header line without a colon: " + quote(line));
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  if (name.empty()) {
    fail("header line with an empty name: " + quote(line));
    return false;
  }
  if (!std::all_of(name.begin(), name.end(), [](char c) { return is_tchar(c); })) {
    fail("header name is not a token: " + quote(name));
    return false;
  }
  const std::string_view value = trim_blanks(line.substr(colon + 1));
  if (std::any_of(value.begin(), value.end(), [](char c) { return is_bad_control(c); })) {
    fail("control character in the value of header " + quote(name) + ": " + quote(value));
    return false;
  }
  return take_header(name, value);
}

bool CgiResponseParser::take_header(std::string_view name, std::string_view value) {
  if (iequals(name, "Status")) {
    if (saw_status_) {
      fail("more than one Status header");
      return false;
    }
    saw_status_ = true;
    if (!parse_status(value, response_.status, response_.reason)) {
      fail("Status is not a code 100-599 with an optional reason: " + quote(value));
      return false;
    }
    return true;
  }
  if (iequals(name, "Location")) {
    if (saw_location_) {
      fail("more than one Location header");
      return false;
    }
    saw_location_ = true;
    if (value.empty()) {
      fail("empty Location header");
      return false;
    }
    response_.location = std::string(value);
    return true;
  }
  if (iequals(name, "Content-Type")) {
    if (saw_content_type_) {
      fail("more than one Content-Type header");
      return false;
    }
    saw_content_type_ = true;
    if (value.empty()) {
      fail("empty Content-Type header");
      return false;
    }
  } else if (iequals(name, "Content-Length")) {
    if (saw_content_length_) {
      fail("more than one Content-Length header");
      return false;
    }
    saw_content_length_ = true;
    if (!is_decimal_u64(value)) {
      fail("Content-Length is not a decimal number: " + quote(value));
      return false;
    }
  } else if (is_hop_by_hop(name)) {
    return true;  // the server owns the connection and the framing
  }
  response_.headers.emplace_back(name, value);
  return true;
}

void CgiResponseParser::finish_block() {
  const std::string_view location = response_.location;
  if (saw_location_) {
    const bool local_path =
        location.size() >= 1 && location[0] == '/' && (location.size() == 1 || location[1] != '/');
    if (local_path && !saw_status_) {
      response_.kind = CgiResponse::Kind::local_redirect;
    } else {
      response_.kind = CgiResponse::Kind::client_redirect;
      if (!saw_status_) response_.status = 302;
    }
  } else if (!saw_content_type_ && response_.status != 204 && response_.status != 304) {
    // 204 and 304 cannot carry a body, so scripts rightly print no type.
    fail("no Content-Type (a document response needs one)");
    return;
  }
  state_ = State::complete;
}

void CgiResponseParser::fail(std::string message) {
  state_ = State::invalid;
  error_ = std::move(message);
  line_.clear();
  line_.shrink_to_fit();
}

}  // namespace wsexec
