#include "core/sse_protocol.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/shared_protocol.hpp"
#include "core/url_path.hpp"

namespace wsexec {
namespace {

constexpr std::string_view kTokenParameter = "wsexec_session";
constexpr std::string_view kLastEventIdParameter = "wsexec_last_event_id";

bool contains_ignoring_case(std::string_view text, std::string_view wanted) {
  return std::search(text.begin(), text.end(), wanted.begin(), wanted.end(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         }) != text.end();
}

// EventSource ends a line at CR, LF or CRLF: each piece of `text` between
// them becomes one data line, and the client joins them with "\n".
void append_data_lines(std::string& event, std::string_view text) {
  for (;;) {
    const auto end = text.find_first_of("\r\n");
    event += "data: ";
    event += text.substr(0, end);
    event += '\n';
    if (end == std::string_view::npos) return;
    const bool crlf = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
    text.remove_prefix(end + (crlf ? 2 : 1));
  }
}

}  // namespace

SseRequestKind classify_sse_request(const SseRequestHead& request) {
  if (request.is_get && !request.websocket_upgrade && request.accept &&
      contains_ignoring_case(*request.accept, "text/event-stream")) {
    return SseRequestKind::open;
  }
  if (request.is_post && (request.session_header || parse_sse_query(request.target).token)) {
    return SseRequestKind::post;
  }
  return SseRequestKind::none;
}

SseQuery parse_sse_query(std::string_view target) {
  SseQuery query;
  std::string_view rest = split_target(target).second;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const auto equals = pair.find('=');
    const std::string_view name = pair.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
    if (name == kTokenParameter) query.token = value;
    if (name == kLastEventIdParameter) query.last_event_id = value;
  }
  return query;
}

std::optional<std::uint64_t> parse_event_id(std::string_view text) {
  // 19 digits always fit in 64 bits; no session gets near that many events.
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t id = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return id;
}

std::string sse_post_url(std::string_view target, std::string_view token) {
  std::string url(split_target(target).first);
  url += '?';
  url += kTokenParameter;
  url += '=';
  url += token;
  return url;
}

std::string session_data(std::string_view token, std::string_view post_url, unsigned resume_ms) {
  const nlohmann::json data = {{"token", token}, {"post", post_url}, {"resume_ms", resume_ms}};
  // Replacement, not an exception, for bytes that are not UTF-8 (found by
  // fuzz/sse_protocol_fuzz.cpp): the router lets only ASCII targets through,
  // but this function must not be the one that ends the server if that
  // changes.
  return data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string sse_session_event(std::string_view token, std::string_view post_url,
                              unsigned resume_ms) {
  return "event: session\nid: 0\ndata: " + session_data(token, post_url, resume_ms) + "\n\n";
}

std::string sse_message_event(std::uint64_t id, std::string_view payload, bool binary) {
  std::string event = binary ? "event: binary\n" : "";
  event += "id: " + std::to_string(id) + "\n";
  if (binary) {
    event += "data: " + base64_encode(payload) + "\n";
  } else {
    append_data_lines(event, payload);
  }
  event += '\n';
  return event;
}

std::string sse_close_event(std::uint64_t id, unsigned code, std::string_view reason) {
  // Replacement, not an exception: a reason is ours or the program's exit
  // status, but must never end the server.
  const nlohmann::json data = {{"code", code}, {"reason", reason}};
  return "event: close\nid: " + std::to_string(id) +
         "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

std::string sse_event_text(const SessionEvent& event) {
  switch (event.kind) {
    case SessionEvent::Kind::session:
      return "event: session\nid: " + std::to_string(event.id) + "\ndata: " + event.text + "\n\n";
    case SessionEvent::Kind::text:
      return sse_message_event(event.id, event.text, false);
    case SessionEvent::Kind::binary:
      return sse_message_event(event.id, event.text, true);
    case SessionEvent::Kind::close:
      return sse_close_event(event.id, event.code, event.text);
  }
  return {};
}

}  // namespace wsexec
