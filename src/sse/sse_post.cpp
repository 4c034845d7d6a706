// A client message: one POST body, delivered to the session's program on
// the session's own thread, answered with what became of it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <limits>

#include "core/url_path.hpp"
#include "sse/sse_answer.hpp"
#include "sse/sse_exchange.hpp"
#include "sse/sse_registry.hpp"
#include "sse/sse_session.hpp"
#include "sse/sse_token.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

// Not in the coroutine: GCC cannot keep an initializer list's array in a
// coroutine frame.
std::string post_context(const RequestHead& head, const PeerInfo& peer, std::string_view token) {
  return log::make_context({{"url", split_target(head.target()).first},
                            {"remote", peer.remote_address},
                            {"transport", "sse"},
                            {"session", token_for_log(token)}});
}

bool is_binary_body(const http::fields& request) {
  const auto field = request.find(http::field::content_type);
  std::string type(field != request.end() ? field->value() : "");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type.rfind("application/octet-stream", 0) == 0;
}

// The body limit Beast enforces: --maxframesize, as for a WebSocket message.
std::uint64_t body_limit(const Config& config) {
  return config.max_frame_size == 0 ? std::numeric_limits<std::uint64_t>::max()
                                    : config.max_frame_size;
}

// Runs on the session's executor. A function, not a lambda: GCC frees a
// coroutine lambda's captures under co_spawn (free(): invalid pointer, seen
// here), while a function's parameters live in its own frame.
asio::awaitable<unsigned> deliver_on_its_thread(SseSession* session, std::string message,
                                                bool binary) {
  co_return session->deliver(message, binary);
}

}  // namespace

SseRequestKind sse_request_kind(const RequestHead& request, const Config& config) {
  if (!config.sse) return SseRequestKind::none;
  SseRequestHead head;
  head.is_get = request.method() == http::verb::get;
  head.is_post = request.method() == http::verb::post;
  head.websocket_upgrade = find_header(request, http::field::upgrade).has_value();
  head.accept = find_header(request, http::field::accept);
  const auto session = request.find("X-Wsexec-Session");
  if (session != request.end()) head.session_header = session->value();
  head.target = request.target();
  return classify_sse_request(head);
}

template <typename Stream>
asio::awaitable<bool> serve_sse_post(Stream& stream, beast::flat_buffer& buffer,
                                     SseHeadParser& parser, const PeerInfo& peer,
                                     ServerState& state) {
  const RequestHead& head = parser.get();
  const unsigned version = head.version();
  const auto header = head.find("X-Wsexec-Session");
  const std::string token(header != head.end() ? header->value()
                                               : parse_sse_query(head.target()).token.value_or(""));
  const std::string context = post_context(head, peer, token);
  if (token.empty()) {
    co_await sse_answer(stream, http::status::bad_request, version, false, state,
                        context + " reason:'no session token'");
    co_return false;
  }
  const auto declared = parser.content_length();  // refused before reading
  http::request_parser<http::string_body> body{std::move(parser)};
  body.body_limit(body_limit(state.config));
  error_code ec;
  if (declared && *declared > body_limit(state.config)) ec = http::error::body_limit;
  beast::get_lowest_layer(stream).expires_after(limits::kRequestHeadTimeout);
  if (!ec) {
    co_await http::async_read(stream, buffer, body, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec == http::error::body_limit) {
    metrics::refused(RefusalReason::size);
    co_await sse_answer(stream, http::status::payload_too_large, version, false, state, context);
    co_return false;
  }
  if (ec) co_return false;  // the client left mid-body: nobody to answer
  const bool keep_alive = body.get().keep_alive();
  const bool binary = is_binary_body(body.get());

  http::status status = http::status::not_found;
  if (SseSessionRef session = state.sse_sessions->find(token)) {
    SseSession* target = &*session;  // kept alive by `session` until the answer
    std::string message = body.release().body();
    const unsigned code = co_await asio::co_spawn(
        target->executor(), deliver_on_its_thread(target, std::move(message), binary),
        asio::use_awaitable);
    status = static_cast<http::status>(code);
  }
  std::vector<std::pair<http::field, std::string>> extra;
  if (status == http::status::too_many_requests) extra.emplace_back(http::field::retry_after, "1");
  // Every delivered message at access level would drown the log.
  const LogLevel level = status == http::status::no_content ? LogLevel::debug : LogLevel::access;
  co_await sse_answer(stream, status, version, keep_alive, state, context, level, extra);
  co_return keep_alive;
}

template WSEXEC_SSE_POST_FOR(PlainStream);
template WSEXEC_SSE_POST_FOR(TlsStream);
template WSEXEC_SSE_POST_FOR(UnixStream);

}  // namespace wsexec
