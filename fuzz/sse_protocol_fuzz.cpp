// What an SSE client controls: its request's method, Accept, token header
// and target, its Last-Event-ID; and what a program prints, which becomes
// an event. Whatever the bytes, an event stays one event (no blank line or
// CR inside it, so nothing can inject a field or a second event), the
// server's query parameters come from the target's query, and an id reads
// back as the number it was.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/shared_protocol.hpp"
#include "core/sse_protocol.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

// The input after its first byte, split at NUL bytes into four fields.
std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> fields;
  while (fields.size() < 3) {
    const auto nul = text.find('\0');
    if (nul == std::string_view::npos) break;
    fields.push_back(text.substr(0, nul));
    text.remove_prefix(nul + 1);
  }
  fields.push_back(text);
  while (fields.size() < 4) fields.emplace_back();
  return fields;
}

void check_one_event(const std::string& event) {
  FUZZ_CHECK(event.size() >= 2 && event.substr(event.size() - 2) == "\n\n");
  FUZZ_CHECK(event.find("\n\n") == event.size() - 2);
  FUZZ_CHECK(event.find('\r') == std::string::npos);
  std::size_t start = 0;
  while (start < event.size() - 1) {
    const auto end = event.find('\n', start);
    const std::string_view line(event.data() + start, end - start);
    FUZZ_CHECK(line.starts_with("data: ") || line.starts_with("id: ") ||
               line.starts_with("event: "));
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto fields = fields_of(rest);
  const std::string_view target = fields[0];

  SseRequestHead head;
  head.is_get = (flags & 1) != 0;
  head.is_post = !head.is_get && (flags & 2) != 0;
  head.websocket_upgrade = (flags & 4) != 0;
  if (flags & 8) head.accept = fields[1];
  if (flags & 16) head.session_header = fields[2];
  head.target = target;
  const SseRequestKind kind = classify_sse_request(head);
  if (kind == SseRequestKind::open)
    FUZZ_CHECK(head.is_get && !head.websocket_upgrade && head.accept);
  if (kind == SseRequestKind::post) FUZZ_CHECK(head.is_post);

  const SseQuery query = parse_sse_query(target);
  const auto question = target.find('?');
  for (const auto& value : {query.token, query.last_event_id}) {
    if (!value) continue;
    FUZZ_CHECK(question != std::string_view::npos);
    FUZZ_CHECK(value->find('&') == std::string_view::npos);
    FUZZ_CHECK(value->data() > target.data() + question);  // inside the query
  }

  if (const auto id = parse_event_id(fields[3])) {
    FUZZ_CHECK(parse_event_id(std::to_string(*id)) == id);
    FUZZ_CHECK(fields[3].find_first_not_of("0123456789") == std::string_view::npos);
  }

  const std::uint64_t id = size;
  check_one_event(sse_message_event(id, rest, false));
  const std::string binary = sse_message_event(id, rest, true);
  check_one_event(binary);
  const std::string prefix = "event: binary\nid: " + std::to_string(id) + "\ndata: ";
  FUZZ_CHECK(binary.starts_with(prefix));
  std::string decoded;
  FUZZ_CHECK(
      base64_decode(binary.substr(prefix.size(), binary.size() - prefix.size() - 2), decoded));
  FUZZ_CHECK(decoded == rest);
  check_one_event(sse_close_event(id, 1000, rest));
  check_one_event(sse_session_event(fields[2], sse_post_url(target, fields[2]), 0));
  return 0;
}
