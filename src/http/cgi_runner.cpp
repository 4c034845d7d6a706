#include "http/cgi_runner.hpp"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>

#include "core/cgi_response.hpp"
#include "core/limits.hpp"
#include "process/child_supervisor.hpp"
#include "core/line_framing.hpp"
#include "server/log.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;


auto use_ec(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

// A flag a coroutine can wait on: set() wakes every waiter.
class Event {
 public:
  explicit Event(const asio::any_io_executor& executor)
      : timer_(executor, asio::steady_timer::time_point::max()) {}
  void set() {
    set_ = true;
    timer_.cancel();
  }
  bool is_set() const { return set_; }
  asio::awaitable<void> wait() {
    while (!set_) {
      error_code ignored;  // cancel() is the signal
      co_await timer_.async_wait(use_ec(ignored));
    }
  }

 private:
  asio::steady_timer timer_;
  bool set_ = false;
};

template <typename Stream>
class CgiRun {
 public:
  CgiRun(Stream& stream, beast::flat_buffer& buffer, CgiHeadParser* body,
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
        context_(log::make_context({{"url", url},
                                    {"remote", peer.remote_address},
                                    {"cgiscript", script.executable}})) {}

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
    auto child = ChildProcess::spawn(stream_.get_executor(), spawn_request(), spawn_error);
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
    start_stderr_to_log();
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
  SpawnRequest spawn_request() {
    RequestFacts facts = request_facts(request_, peer_, script_, state_.next_connection_id(),
                                       peer_.remote_address);
    if (const auto length = body_length()) facts.content_length = std::to_string(*length);
    if (const auto type = request_.find(http::field::content_type); type != request_.end()) {
      facts.content_type = std::string(type->value());
    }
    EnvironmentInputs inputs{state_.server_software, state_.config.passenv,
                             state_.parent_environment};
    SpawnRequest spawn;
    spawn.executable = script_.executable;
    spawn.argv = script_.argv;
    spawn.environment = build_child_environment(facts, inputs);
    return spawn;
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

  void start_stderr_to_log() {
    asio::co_spawn(
        stream_.get_executor(),
        [supervisor = supervisor_, context = context_]() -> asio::awaitable<void> {
          auto& pipe = supervisor->child().stderr_pipe();
          LineFramer lines;
          std::array<char, limits::kStderrReadBytes> chunk;
          error_code ec;
          while (true) {
            const std::size_t n = co_await pipe.async_read_some(asio::buffer(chunk), use_ec(ec));
            if (ec) break;
            lines.append(std::string_view(chunk.data(), n));
            while (auto line = lines.next_line()) log::write(LogLevel::error, "stderr", context, *line);
            lines.compact();
          }
          if (auto last = lines.finish()) log::write(LogLevel::error, "stderr", context, *last);
        },
        asio::detached);
  }

  // Reads the script's header block (bounded in time), then streams the
  // rest of its output to the client.
  asio::awaitable<CgiOutcome> relay_response() {
    auto& stdout_pipe = supervisor_->child().stdout_pipe();
    auto chunk = std::make_unique<char[]>(limits::kCgiChunkBytes);
    CgiResponseParser parser;
    asio::steady_timer deadline(stream_.get_executor(), limits::kCgiHeaderTimeout);
    bool timed_out = false;
    deadline.async_wait([this, &timed_out](error_code ec) {
      if (ec) return;  // the headers came in time
      timed_out = true;
      supervisor_->terminate();  // its stdout closes, which ends the read below
    });
    error_code ec;
    while (parser.state() == CgiResponseParser::State::need_more) {
      const std::size_t n = co_await stdout_pipe.async_read_some(
          asio::buffer(chunk.get(), limits::kCgiChunkBytes), use_ec(ec));
      if (ec) break;
      parser.feed(std::string_view(chunk.get(), n));
    }
    deadline.cancel();
    if (parser.state() != CgiResponseParser::State::complete) {
      if (timed_out) {
        log::write(LogLevel::error, "http", context_, "CGI script printed no headers in time");
        co_return co_await refuse(http::status::gateway_timeout);
      }
      log::write(LogLevel::error, "http", context_,
                 parser.state() == CgiResponseParser::State::invalid
                     ? "CGI script printed bad headers: " + parser.error()
                     : std::string("CGI script ended without printing headers"));
      co_return co_await refuse(http::status::bad_gateway);
    }
    const CgiResponse& response = parser.response();
    if (response.kind == CgiResponse::Kind::local_redirect) {
      log::write(LogLevel::access, "http", context_, "CGI local redirect to " + response.location);
      CgiOutcome outcome;
      outcome.keep_alive = request_.keep_alive();
      outcome.local_redirect = response.location;
      co_return outcome;
    }
    co_return co_await stream_body(response, parser.body_start(), chunk.get());
  }

  asio::awaitable<CgiOutcome> stream_body(const CgiResponse& script_response,
                                          std::string_view first_bytes, char* chunk) {
    http::response<http::buffer_body> response;
    response.version(request_.version());
    response.result(script_response.status);
    if (!script_response.reason.empty()) response.reason(script_response.reason);
    add_plain_response_headers(response, state_.config, state_.server_software);
    for (const auto& [name, value] : script_response.headers) response.insert(name, value);
    if (script_response.kind == CgiResponse::Kind::client_redirect) {
      response.set(http::field::location, script_response.location);
    }
    // A script's own Content-Length is kept; otherwise HTTP/1.1 clients get
    // chunked encoding and HTTP/1.0 clients a body ended by closing.
    // The parser accepted only a plain number, so this cannot fail.
    const auto length_field = response.find(http::field::content_length);
    const bool has_length = length_field != response.end();
    const std::uint64_t declared_length =
        has_length ? std::stoull(std::string(length_field->value())) : 0;
    const bool head = request_.method() == http::verb::head;
    bool keep_alive = request_.keep_alive();
    if (!has_length && !head) {
      if (request_.version() >= 11) {
        response.chunked(true);
      } else {
        keep_alive = false;
      }
    }
    response.keep_alive(keep_alive);
    log::add_to_context(context_, "status", std::to_string(script_response.status));
    log::write(LogLevel::access, "http", context_, "CGI");

    http::response_serializer<http::buffer_body> serializer{response};
    response.body().data = nullptr;
    response.body().more = true;
    error_code ec;
    beast::get_lowest_layer(stream_).expires_after(limits::kCgiWriteTimeout);
    co_await http::async_write_header(stream_, serializer, use_ec(ec));
    if (ec) co_return CgiOutcome{};

    auto& stdout_pipe = supervisor_->child().stdout_pipe();
    std::string_view pending = first_bytes;
    std::uint64_t body_sent = 0;
    while (true) {
      if (pending.empty()) {
        const std::size_t n = co_await stdout_pipe.async_read_some(
            asio::buffer(chunk, limits::kCgiChunkBytes), use_ec(ec));
        if (ec) break;  // EOF: the script is done
        pending = std::string_view(chunk, n);
      }
      if (head) {  // HEAD: headers only, the script's body is dropped
        pending = {};
        continue;
      }
      if (has_length) {
        // Never more than the script announced: extra bytes would be read
        // as the start of the next response on a kept connection.
        pending = pending.substr(0, declared_length - std::min(declared_length, body_sent));
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
    if (has_length && !head && body_sent < declared_length) {
      // Fewer bytes than announced: the response cannot be completed, and
      // only closing the connection tells the client so.
      log::write(LogLevel::error, "http", context_, "CGI script printed less than its Content-Length");
      co_return CgiOutcome{};
    }
    response.body().data = nullptr;
    response.body().size = 0;
    response.body().more = false;
    co_await http::async_write(stream_, serializer, use_ec(ec));
    CgiOutcome outcome;
    outcome.keep_alive = keep_alive && !ec;
    co_return outcome;
  }

  // An answer of the server's own, for a request the script never saw or
  // could not answer.
  asio::awaitable<CgiOutcome> refuse(http::status status) {
    http::response<http::string_body> response{status, request_.version()};
    add_plain_response_headers(response, state_.config, state_.server_software);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = std::to_string(static_cast<unsigned>(status)) + " " +
                      std::string(http::obsolete_reason(status)) + "\n";
    response.keep_alive(false);
    response.prepare_payload();
    log::write(LogLevel::access, "http", context_,
               "CGI " + std::to_string(static_cast<unsigned>(status)));
    error_code ec;  // a client that left needs no answer
    beast::get_lowest_layer(stream_).expires_after(limits::kCgiWriteTimeout);
    co_await http::async_write(stream_, response, use_ec(ec));
    co_return CgiOutcome{};
  }

  Stream& stream_;
  beast::flat_buffer& buffer_;
  std::optional<std::uint64_t> body_length() const {
    if (!body_parser_) return std::nullopt;
    const auto length = body_parser_->content_length();  // a boost::optional
    return length ? std::optional<std::uint64_t>(*length) : std::nullopt;
  }

  CgiHeadParser* body_parser_;
  // A copy: reading the body moves the head out of the parser.
  const RequestHead request_;
  const ScriptTarget& script_;
  const PeerInfo& peer_;
  ServerState& state_;
  std::shared_ptr<ChildSupervisor> supervisor_;
  Event body_done_;
  Event watch_done_;
  bool body_complete_ = false;
  bool response_done_ = false;
  std::string context_;
};

}  // namespace

template <typename Stream>
asio::awaitable<CgiOutcome> run_cgi(Stream& stream, beast::flat_buffer& buffer,
                                    CgiHeadParser* body, const RequestHead& head,
                                    const ScriptTarget& script, const PeerInfo& peer,
                                    const std::string& url, ServerState& state) {
  CgiRun<Stream> run(stream, buffer, body, head, script, peer, url, state);
  co_return co_await run.run();
}

template asio::awaitable<CgiOutcome> run_cgi(PlainStream&, beast::flat_buffer&, CgiHeadParser*,
                                             const RequestHead&, const ScriptTarget&,
                                             const PeerInfo&, const std::string&, ServerState&);
template asio::awaitable<CgiOutcome> run_cgi(TlsStream&, beast::flat_buffer&, CgiHeadParser*,
                                             const RequestHead&, const ScriptTarget&,
                                             const PeerInfo&, const std::string&, ServerState&);
template asio::awaitable<CgiOutcome> run_cgi(UnixStream&, beast::flat_buffer&, CgiHeadParser*,
                                             const RequestHead&, const ScriptTarget&,
                                             const PeerInfo&, const std::string&, ServerState&);

}  // namespace wsexec
