#include "http/cgi_exchange.hpp"

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <memory>

#include "core/cgi_framing.hpp"
#include "core/cgi_response.hpp"
#include "core/limits.hpp"
#include "http/plain_response.hpp"
#include "http/wait_deadline.hpp"
#include "process/child_supervisor.hpp"
#include "process/stderr_to_log.hpp"
#include "server/async_event.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

auto use_ec(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// The script's output after its header block: gathered for a moment (a
// short page goes out in one write with a Content-Length), then framed as
// cgi_framing() says and sent.
template <typename Stream>
class CgiOutputRelay {
 public:
  CgiOutputRelay(Stream& stream, ChildSupervisor& supervisor, const RequestHead& request,
                 ServerState& state, std::string& context)
      : stream_(stream),
        supervisor_(supervisor),
        request_(request),
        state_(state),
        context_(context),
        chunk_(std::make_unique<char[]>(limits::kCgiChunkBytes)) {}

  asio::awaitable<CgiOutcome> relay(const CgiResponse& script_response,
                                    std::string_view first_bytes,
                                    std::shared_ptr<ChildSupervisor> owner) {
    std::string gathered(first_bytes);
    const bool complete = co_await gather(gathered, std::move(owner));
    http::response<http::buffer_body> response;
    response.version(request_.version());
    response.result(script_response.status);
    if (!script_response.reason.empty()) response.reason(script_response.reason);
    add_plain_response_headers(response, state_.config, state_.server_software);
    for (const auto& [name, value] : script_response.headers) response.insert(name, value);
    if (script_response.kind == CgiResponse::Kind::client_redirect) {
      response.set(http::field::location, script_response.location);
    }
    CgiFramingFacts facts;
    // The parser accepted only a plain number, so this cannot fail.
    if (const auto field = response.find(http::field::content_length); field != response.end()) {
      facts.script_length = std::stoull(std::string(field->value()));
    }
    if (complete) facts.complete_body_length = gathered.size();
    facts.http_version = request_.version();
    facts.head = request_.method() == http::verb::head;
    facts.client_keep_alive = request_.keep_alive();
    const CgiFraming framing = cgi_framing(facts);
    // Each of Beast's setters clears the other framing header, so only the
    // one wanted is called, and none keeps the script's own Content-Length.
    if (framing.body == CgiFraming::Body::whole) response.content_length(framing.content_length);
    if (framing.body == CgiFraming::Body::chunked) response.chunked(true);
    response.keep_alive(framing.keep_alive);
    log::add_to_context(context_, "status", std::to_string(script_response.status));
    log::write(LogLevel::access, "http", context_, "CGI");
    metrics::responded(script_response.status);
    co_return co_await send(response, framing, facts.head, gathered);
  }

 private:
  // Reads on while the output keeps coming within limits::kCgiWholeResponseWait
  // and fits in one piece; true when it ended (EOF) in that time.
  asio::awaitable<bool> gather(std::string& gathered, std::shared_ptr<ChildSupervisor> owner) {
    auto& pipe = supervisor_.child().stdout_pipe();
    WaitDeadline deadline(stream_.get_executor(),
                          asio::steady_timer::clock_type::now() + limits::kCgiWholeResponseWait,
                          [owner = std::move(owner)] {
                            error_code ignored;  // the read ends with operation_aborted
                            owner->child().stdout_pipe().cancel(ignored);
                          });
    while (gathered.size() < limits::kCgiChunkBytes) {
      error_code ec;
      const std::size_t n = co_await pipe.async_read_some(
          asio::buffer(chunk_.get(), limits::kCgiChunkBytes - gathered.size()), use_ec(ec));
      gathered.append(chunk_.get(), n);
      if (deadline.expired()) co_return false;
      if (ec == asio::error::eof) co_return deadline.settle();
      if (ec) co_return false;  // the streaming read sees it again and ends
    }
    co_return false;
  }

  asio::awaitable<CgiOutcome> send(http::response<http::buffer_body>& response,
                                   const CgiFraming& framing, bool head, std::string& gathered) {
    http::response_serializer<http::buffer_body> serializer{response};
    error_code ec;
    beast::get_lowest_layer(stream_).expires_after(limits::kCgiWriteTimeout);
    if (framing.body == CgiFraming::Body::whole && !head) {
      response.body().data = gathered.data();
      response.body().size = gathered.size();
      response.body().more = false;
      co_await http::async_write(stream_, serializer, use_ec(ec));
      co_return CgiOutcome{framing.keep_alive && !ec, std::nullopt};
    }
    response.body().data = nullptr;
    response.body().more = true;
    co_await http::async_write_header(stream_, serializer, use_ec(ec));
    if (ec) co_return CgiOutcome{};

    const bool capped = framing.body == CgiFraming::Body::script_length;
    std::uint64_t body_sent = 0;
    std::string_view pending = gathered;
    while (true) {
      if (pending.empty()) {
        const std::size_t n = co_await supervisor_.child().stdout_pipe().async_read_some(
            asio::buffer(chunk_.get(), limits::kCgiChunkBytes), use_ec(ec));
        if (ec) break;  // EOF: the script is done
        pending = std::string_view(chunk_.get(), n);
      }
      if (head) {  // HEAD: headers only, the script's body is dropped
        pending = {};
        continue;
      }
      if (capped) {
        // Never more than the script announced: extra bytes would be read
        // as the start of the next response on a kept connection.
        const std::uint64_t room = framing.content_length - body_sent;
        pending = pending.substr(0, std::min<std::uint64_t>(room, pending.size()));
        if (pending.empty()) continue;
        body_sent += pending.size();
      }
      response.body().data = const_cast<char*>(pending.data());
      response.body().size = pending.size();
      response.body().more = true;
      beast::get_lowest_layer(stream_).expires_after(limits::kCgiWriteTimeout);
      co_await http::async_write(stream_, serializer, use_ec(ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return CgiOutcome{};  // the client went away
      pending = {};
    }
    if (capped && !head && body_sent < framing.content_length) {
      // Fewer bytes than announced: the response cannot be completed, and
      // only closing the connection tells the client so.
      log::write(LogLevel::error, "http", context_,
                 "CGI script printed less than its Content-Length");
      co_return CgiOutcome{};
    }
    if (head) co_return CgiOutcome{framing.keep_alive, std::nullopt};
    response.body().data = nullptr;
    response.body().size = 0;
    response.body().more = false;
    co_await http::async_write(stream_, serializer, use_ec(ec));
    co_return CgiOutcome{framing.keep_alive && !ec, std::nullopt};
  }

  Stream& stream_;
  ChildSupervisor& supervisor_;
  const RequestHead& request_;
  ServerState& state_;
  std::string& context_;
  std::unique_ptr<char[]> chunk_;
};

template <typename Stream>
class CgiExchange {
 public:
  CgiExchange(Stream& stream, beast::flat_buffer& buffer, CgiHeadParser* body,
              const RequestHead& head, const ScriptTarget& script, const PeerInfo& peer,
              const std::string& url, ServerState& state)
      : stream_(stream),
        buffer_(buffer),
        body_parser_(body),
        request_(head),
        script_(script),
        peer_(peer),
        state_(state),
        body_done_(stream.get_executor()),
        watch_done_(stream.get_executor()),
        context_(log::make_context(
            {{"url", url}, {"remote", peer.remote_address}, {"cgiscript", script.executable}})) {}

  asio::awaitable<CgiOutcome> run() {
    if (body_parser_ && body_parser_->chunked()) {
      co_return co_await refuse(http::status::length_required);
    }
    const auto length = body_length();
    if (length && *length > limits::kMaxCgiBodyBytes) {
      co_return co_await refuse(http::status::payload_too_large);
    }
    auto slot = ForkSlot::try_acquire(state_);
    if (!slot) co_return co_await refuse(http::status::too_many_requests);

    std::error_code spawn_error;
    const auto spawn_began = std::chrono::steady_clock::now();
    auto child = ChildProcess::spawn(stream_.get_executor(), spawn_request(), spawn_error);
    metrics::spawned(std::chrono::steady_clock::now() - spawn_began, child != nullptr);
    if (!child) {
      log::write(LogLevel::error, "process", context_,
                 "cannot start " + script_.executable + ": " + spawn_error.message());
      co_return co_await refuse(http::status::internal_server_error);
    }
    log::add_to_context(context_, "pid", std::to_string(child->pid()));
    supervisor_ = std::make_shared<ChildSupervisor>(
        std::move(child), std::move(*slot), std::chrono::milliseconds(state_.config.close_ms),
        context_);
    supervisor_->watch({});
    relay_stderr_to_log(supervisor_, context_);
    start_body_to_stdin();
    start_client_watch();

    CgiOutcome outcome = co_await relay_response();
    response_done_ = true;
    // However it ended, the script is on its way out; the supervisor reaps
    // it and frees its --maxforks slot once it has exited.
    supervisor_->terminate();
    // Ends the client watch, and a body read still going (a script that did
    // not take the whole body): a connection with unread request bytes is
    // not reused.
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().cancel(ignored);
    co_await body_done_.wait();
    co_await watch_done_.wait();
    if (!body_complete_) outcome.keep_alive = false;
    co_return outcome;
  }

 private:
  SpawnRequest spawn_request() const {
    RequestFacts facts =
        request_facts(request_, peer_, script_, state_.next_connection_id(), peer_.remote_address);
    if (const auto length = body_length()) facts.content_length = std::to_string(*length);
    if (const auto type = find_header(request_, http::field::content_type)) {
      facts.content_type = std::string(*type);
    }
    return spawn_request_for(script_, facts, state_);
  }

  std::optional<std::uint64_t> body_length() const {
    if (!body_parser_) return std::nullopt;
    const auto length = body_parser_->content_length();  // a boost::optional
    return length ? std::optional<std::uint64_t>(*length) : std::nullopt;
  }

  // The request body, as it arrives, to the script's stdin; then EOF.
  void start_body_to_stdin() {
    asio::co_spawn(
        stream_.get_executor(), [this]() -> asio::awaitable<void> { co_await body_to_stdin(); },
        [this](std::exception_ptr) { body_done_.set(); });
  }

  asio::awaitable<void> body_to_stdin() {
    auto& stdin_pipe = supervisor_->child().stdin_pipe();
    if (!body_parser_ || body_parser_->is_done()) {  // no body
      body_complete_ = true;
      supervisor_->child().close_stdin();
      co_return;
    }
    http::request_parser<http::buffer_body> body_parser{std::move(*body_parser_)};
    body_parser.body_limit(limits::kMaxCgiBodyBytes);
    auto chunk = std::make_unique<char[]>(limits::kCgiChunkBytes);
    error_code ec;
    bool stdin_open = true;
    while (!body_parser.is_done()) {
      body_parser.get().body().data = chunk.get();
      body_parser.get().body().size = limits::kCgiChunkBytes;
      co_await http::async_read(stream_, buffer_, body_parser, use_ec(ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return;  // client gone, or cancelled: the connection will close
      const std::size_t n = limits::kCgiChunkBytes - body_parser.get().body().size;
      if (n > 0 && stdin_open) {
        co_await asio::async_write(stdin_pipe, asio::buffer(chunk.get(), n), use_ec(ec));
        // A script that stops reading its stdin is its own business; the
        // rest of the body is read and dropped so the connection survives.
        if (ec) stdin_open = false;
      }
    }
    body_complete_ = true;
    supervisor_->child().close_stdin();
  }

  // While the script works, nobody reads the client's socket; this notices a
  // client that hangs up, so a script that prints nothing is not left
  // running for nobody. It only peeks: a pipelined next request stays put.
  // (Under TLS the close_notify alert is data, so there a departure is
  // noticed at the next write instead.)
  void start_client_watch() {
    asio::co_spawn(
        stream_.get_executor(), [this]() -> asio::awaitable<void> { co_await watch_client(); },
        [this](std::exception_ptr) { watch_done_.set(); });
  }

  asio::awaitable<void> watch_client() {
    co_await body_done_.wait();
    if (!body_complete_) co_return;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    while (!response_done_) {
      error_code ec;
      co_await socket.async_wait(asio::socket_base::wait_read, use_ec(ec));
      if (ec || response_done_) co_return;
      char byte;
      const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) co_return;  // the client is sending: it is still there
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      log::write(LogLevel::debug, "http", context_, "client went away; ending the CGI script");
      supervisor_->terminate();
      co_return;
    }
  }

  // Reads the script's header block within limits::kCgiHeaderTimeout, then
  // hands the rest of its output to the relay.
  asio::awaitable<CgiOutcome> relay_response() {
    auto& stdout_pipe = supervisor_->child().stdout_pipe();
    auto chunk = std::make_unique<char[]>(limits::kCgiChunkBytes);
    CgiResponseParser parser;
    // Ending the script closes its stdout, which ends the read below.
    WaitDeadline deadline(stream_.get_executor(),
                          asio::steady_timer::clock_type::now() + limits::kCgiHeaderTimeout,
                          [supervisor = supervisor_] { supervisor->terminate(); });
    error_code ec;
    while (parser.state() == CgiResponseParser::State::need_more) {
      const std::size_t n = co_await stdout_pipe.async_read_some(
          asio::buffer(chunk.get(), limits::kCgiChunkBytes), use_ec(ec));
      if (ec) break;
      parser.feed(std::string_view(chunk.get(), n));
    }
    if (!deadline.settle()) {
      log::write(LogLevel::error, "http", context_, "CGI script printed no headers in time");
      co_return co_await refuse(http::status::gateway_timeout);
    }
    if (parser.state() != CgiResponseParser::State::complete) {
      log::write(LogLevel::error, "http", context_,
                 parser.state() == CgiResponseParser::State::invalid
                     ? "CGI script printed bad headers: " + parser.error()
                     : std::string("CGI script ended without printing headers"));
      co_return co_await refuse(http::status::bad_gateway);
    }
    const CgiResponse& response = parser.response();
    if (response.kind == CgiResponse::Kind::local_redirect) {
      log::write(LogLevel::access, "http", context_, "CGI local redirect to " + response.location);
      co_return CgiOutcome{request_.keep_alive(), response.location};
    }
    CgiOutputRelay<Stream> output(stream_, *supervisor_, request_, state_, context_);
    co_return co_await output.relay(response, parser.body_start(), supervisor_);
  }

  // An answer of the server's own, for a request the script never saw or
  // could not answer.
  asio::awaitable<CgiOutcome> refuse(http::status status) {
    auto response =
        plain_response(status, request_.version(), false, state_.config, state_.server_software);
    log::write(LogLevel::access, "http", context_, "CGI " + access_label(status));
    metrics::responded(static_cast<unsigned>(status));
    if (status == http::status::too_many_requests) metrics::refused(RefusalReason::maxforks);
    if (status == http::status::payload_too_large) metrics::refused(RefusalReason::size);
    error_code ec;  // a client that left needs no answer
    beast::get_lowest_layer(stream_).expires_after(limits::kCgiWriteTimeout);
    co_await http::async_write(stream_, response, use_ec(ec));
    co_return CgiOutcome{};
  }

  Stream& stream_;
  beast::flat_buffer& buffer_;
  CgiHeadParser* body_parser_;
  // A copy: reading the body moves the head out of the parser.
  const RequestHead request_;
  const ScriptTarget& script_;
  const PeerInfo& peer_;
  ServerState& state_;
  const metrics::SessionMeter meter_{SessionKind::cgi};
  std::shared_ptr<ChildSupervisor> supervisor_;
  AsyncEvent body_done_;
  AsyncEvent watch_done_;
  bool body_complete_ = false;
  bool response_done_ = false;
  std::string context_;
};

}  // namespace

template <typename Stream>
asio::awaitable<CgiOutcome> exchange_cgi(Stream& stream, beast::flat_buffer& buffer,
                                         CgiHeadParser* body, const RequestHead& head,
                                         const ScriptTarget& script, const PeerInfo& peer,
                                         const std::string& url, ServerState& state) {
  CgiExchange<Stream> exchange(stream, buffer, body, head, script, peer, url, state);
  co_return co_await exchange.run();
}

template WSEXEC_CGI_EXCHANGE_FOR(PlainStream);
template WSEXEC_CGI_EXCHANGE_FOR(TlsStream);
template WSEXEC_CGI_EXCHANGE_FOR(UnixStream);

}  // namespace wsexec
