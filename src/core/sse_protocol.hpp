#pragma once
// The Server-Sent Events transport's wire format (docs/sse-protocol.md),
// as pure functions: which requests are ours, the server's query
// parameters, and the text of each event. The I/O side (src/sse) only
// moves these strings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/sse_event_log.hpp"

namespace wsexec {

enum class SseRequestKind {
  none,  // not ours: served as without --sse
  open,  // GET with Accept: text/event-stream: a new session, or a resume
  post,  // POST carrying a session token: one client message
};

struct SseRequestHead {
  bool is_get = false;
  bool is_post = false;
  bool websocket_upgrade = false;
  std::optional<std::string_view> accept;
  std::optional<std::string_view> session_header;  // X-Wsexec-Session
  std::string_view target;                         // "/path?query"
};

SseRequestKind classify_sse_request(const SseRequestHead& request);

// The server's own query parameters, as they appear (tokens are hex and
// ids digits: nothing to percent-decode).
struct SseQuery {
  std::optional<std::string_view> token;          // wsexec_session
  std::optional<std::string_view> last_event_id;  // wsexec_last_event_id
};
SseQuery parse_sse_query(std::string_view target);

// An event id as a client sends it back (Last-Event-ID): decimal digits
// only, no sign, no spaces, at most 19 digits; nullopt otherwise.
std::optional<std::uint64_t> parse_event_id(std::string_view text);

// The URL a session's client POSTs to: the target's path with the token.
std::string sse_post_url(std::string_view target, std::string_view token);

// The session's JSON: {"token":T,"post":URL,"resume_ms":N}. The data of
// the SSE session event, and the first message of a wsexec.v1 WebSocket.
std::string session_data(std::string_view token, std::string_view post_url, unsigned resume_ms);
std::string sse_session_event(std::string_view token, std::string_view post_url,
                              unsigned resume_ms);
// One message of the program: text as data lines, binary as base64.
std::string sse_message_event(std::uint64_t id, std::string_view payload, bool binary);
std::string sse_close_event(std::uint64_t id, unsigned code, std::string_view reason);

// A logged event as the event stream writes it (the session event's text
// is session_data()).
std::string sse_event_text(const SessionEvent& event);

inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

}  // namespace wsexec
