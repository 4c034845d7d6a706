#include "websocket/ws_session.hpp"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cerrno>
#include <vector>
#include <exception>
#include <optional>
#include <span>

#include "core/cgi_env.hpp"
#include "core/limits.hpp"
#include "process/child_process.hpp"
#include "process/child_supervisor.hpp"
#include "websocket/corkable_stream.hpp"
#include "core/line_framing.hpp"
#include "server/log.hpp"
#include "process/spawner.hpp"
#include "process/stdin_feeder.hpp"
#include "core/tagged_output.hpp"

namespace wsexec {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;
using std::chrono::milliseconds;



std::span<char> thread_read_buffer() {
  thread_local std::array<char, limits::kChildReadChunkBytes> buffer;
  return buffer;
}

// One read from a pipe that the event loop reported readable. Returns bytes
// read, 0 at EOF, or -1 with errno (EAGAIN: nothing after all).
ssize_t read_some_now(int fd, std::span<char> into) {
  ssize_t n;
  do {
    n = ::read(fd, into.data(), into.size());
  } while (n < 0 && errno == EINTR);
  return n;
}

// Lets one coroutine at a time write to the WebSocket: with --passstderr two
// pumps send, and a close must never overlap a message.
class WriteGate {
 public:
  explicit WriteGate(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  asio::awaitable<void> acquire() {
    while (busy_) {
      asio::steady_timer wake(executor_, asio::steady_timer::time_point::max());
      waiters_.push_back(&wake);
      error_code ignored;  // cancel() is the wake-up call
      co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    busy_ = true;
  }

  void release() {
    busy_ = false;
    if (!waiters_.empty()) {
      waiters_.front()->cancel();
      waiters_.erase(waiters_.begin());
    }
  }

 private:
  asio::any_io_executor executor_;
  bool busy_ = false;
  // At most a few (stdout, stderr, a close): a vector costs nothing until
  // someone waits, unlike a deque.
  std::vector<asio::steady_timer*> waiters_;
};

// Beast's WebSocket keeps its own timers, so after the upgrade the HTTP
// side's timed stream is traded for its bare socket: about half a KiB less
// per connection. The TLS stream is kept whole.
asio::ip::tcp::socket websocket_transport(PlainStream&& stream) { return stream.release_socket(); }
asio::local::stream_protocol::socket websocket_transport(UnixStream&& stream) {
  return stream.release_socket();
}
TlsStream websocket_transport(TlsStream&& stream) { return std::move(stream); }

template <typename Protocol, typename Executor>
auto& socket_of(asio::basic_stream_socket<Protocol, Executor>& socket) {
  return socket;
}
template <typename Protocol, typename Executor, typename RatePolicy>
auto& socket_of(beast::basic_stream<Protocol, Executor, RatePolicy>& stream) {
  return stream.socket();
}

std::string header_value(const UpgradeRequest& request, beast::http::field field) {
  return std::string(find_header(request, field).value_or(""));
}

template <typename Stream>
class WsSession : public std::enable_shared_from_this<WsSession<Stream>>, public Stoppable {
 public:
  WsSession(Stream stream, PeerInfo peer, ScriptTarget target, ForkSlot slot, ServerState& state,
            Worker& worker)
      : ws_(std::move(stream)),
        peer_(std::move(peer)),
        target_(std::move(target)),
        slot_(std::move(slot)),
        state_(state),
        worker_(worker),
        registration_(worker, this),
        gate_(ws_.get_executor()),
        id_(state.next_connection_id()) {}

  // The child is reaped by its supervisor, which may outlive us by a moment.
  ~WsSession() {
    if (connected_) log::write(LogLevel::access, "session", context_, "DISCONNECT");
  }

  void start(UpgradeRequest request) {
    spawn_task([request = std::move(request)](WsSession& self) mutable {
      return self.run(std::move(request));
    });
  }

  // Server shutdown: close 1001 ("going away"), then end the child.
  void stop() override {
    if (stopping_) return;
    stopping_ = true;
    if (connected_) {
      go_away();
    } else {
      error_code ignored;  // the handshake has not finished; just drop it
      socket_of(beast::get_lowest_layer(ws_)).close(ignored);
    }
  }

 private:
  // Runs `body(*this)` as a coroutine on our worker; the session lives at
  // least as long as any of its tasks.
  template <typename Body>
  void spawn_task(Body body) {
    asio::co_spawn(
        ws_.get_executor(),
        [self = this->shared_from_this(), body = std::move(body)]() mutable { return body(*self); },
        [self = this->shared_from_this()](std::exception_ptr failure) {
          if (!failure) return;
          try {
            std::rethrow_exception(failure);
          } catch (const std::exception& e) {
            log::write(LogLevel::error, "session", self->context_,
                       std::string("internal error: ") + e.what());
          }
        });
  }

  asio::awaitable<void> run(UpgradeRequest request) {
    const std::string origin = header_value(request, beast::http::field::origin);
    const std::string host = header_value(request, beast::http::field::host);
    context_ = log::make_context({{"url", std::string(peer_.tls ? "https://" : "http://") + host +
                                             std::string(request.target())},
                                  {"id", id_},
                                  {"remote", peer_.remote_address},
                                  {"command", target_.executable},
                                  {"origin", origin}});
    // The child is started next, before our 101 goes out, so its start-up
    // (exec, the dynamic loader) overlaps the client's round trip instead
    // of following it; on the spawner's thread, so the 101 is not held up
    // by the spawn either. Only a reverse lookup of the client (REMOTE_HOST)
    // has to come before it.
    const bool reverse_lookup = state_.config.reverse_lookup;
    if (!reverse_lookup && !stopping_) start_child(spawn_request(request, peer_.remote_address));
    configure_stream();
    if (reverse_lookup) {
      const std::string remote_host = co_await lookup_remote_host();
      if (!stopping_) start_child(spawn_request(request, remote_host));
    }

    error_code ec;
    co_await ws_.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopping_) {
      if (ec) log::write(LogLevel::debug, "session", {}, "handshake failed: " + ec.message());
      client_open_ = false;
      begin_termination();  // a child started anyway is ended and reaped as usual
      co_return;
    }
    co_await child_started();
    if (!child_) {
      log::write(LogLevel::error, "process", context_,
                 "cannot start " + target_.executable + ": " + spawn_error_.message());
      co_await close_client(websocket::close_code::internal_error);
      co_return;
    }
    connected_ = true;
    log::write(LogLevel::access, "session", context_, "CONNECT");
    read_client();
    watch_stdout();
    watch_stderr();
  }

  void start_child(SpawnRequest request) {
    child_pending_ = true;
    auto on_started = [self = this->shared_from_this()](StartedChild started,
                                                        std::error_code error) {
      self->on_child_started(std::move(started), error);
    };
    if (state_.spawner) {
      state_.spawner->start(std::move(request), ws_.get_executor(), std::move(on_started));
    } else {
      std::error_code error;
      on_started(ChildProcess::start(request, error), error);
    }
  }

  void on_child_started(StartedChild started, std::error_code error) {
    child_pending_ = false;
    spawn_error_ = error;
    if (started) adopt_child(std::move(started));
    if (child_waiter_) {
      child_waiter_->cancel();
      child_waiter_ = nullptr;
    }
    if (!client_open_) begin_termination();  // the handshake failed meanwhile
  }

  // Waits until start_child() has its answer.
  asio::awaitable<void> child_started() {
    if (!child_pending_) co_return;
    asio::steady_timer wake(ws_.get_executor(), asio::steady_timer::time_point::max());
    child_waiter_ = &wake;
    error_code ignored;  // cancel() is the wake-up call
    co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    child_waiter_ = nullptr;
  }

  void adopt_child(StartedChild started) {
    auto child = ChildProcess::adopt(ws_.get_executor(), std::move(started));
    log::add_to_context(context_, "pid", std::to_string(child->pid()));
    child_ = std::make_shared<ChildSupervisor>(std::move(child), std::move(*slot_),
                                               milliseconds(state_.config.close_ms), context_);
    slot_.reset();
    stdin_feeder_.emplace(child_->child().stdin_pipe(), this->weak_from_this());
    child_->on_close_stdin([weak = this->weak_from_this()](ChildProcess& child) {
      if (auto self = weak.lock()) {
        self->stdin_feeder_->close_after_drain();
      } else {
        child.close_stdin();  // the session and its queue are gone
      }
    });
    child_->watch([self = this->shared_from_this()] { self->release_pipes_if_done(); });
  }

  void go_away() {
    begin_termination();
    spawn_task(
        [](WsSession& self) { return self.close_client(websocket::close_code::going_away); });
  }

  void configure_stream() {
    const Config& config = state_.config;
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = limits::kHandshakeTimeout;
    if (config.ping_ms > 0) {
      // Beast pings after half the idle time without traffic and drops the
      // client after the whole of it: ping every MS, drop after 2 x MS.
      timeouts.idle_timeout = milliseconds(2 * static_cast<std::uint64_t>(config.ping_ms));
      timeouts.keep_alive_pings = true;
    } else {
      timeouts.idle_timeout = websocket::stream_base::none();
      timeouts.keep_alive_pings = false;
    }
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([this](websocket::response_type& response) {
      response.set(beast::http::field::server, state_.server_software);
      for (const auto& header : state_.config.headers) response.insert(header.name, header.value);
      for (const auto& header : state_.config.headers_ws) {
        response.insert(header.name, header.value);
      }
    }));
    ws_.read_message_max(config.max_frame_size);  // 0: no limit, as --maxframesize=0 means
    // One frame per message: fragmenting our own messages only costs syscalls.
    ws_.auto_fragment(false);
  }

  asio::awaitable<std::string> lookup_remote_host() {
    // Asio resolves on its own background thread, so a slow DNS server
    // delays only this connection, never the event loop.
    asio::ip::tcp::resolver resolver(ws_.get_executor());
    error_code ec;
    const auto address = asio::ip::make_address(peer_.remote_address, ec);
    if (ec) co_return peer_.remote_address;
    auto results =
        co_await resolver.async_resolve(asio::ip::tcp::endpoint(address, peer_.remote_port),
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec || results.empty()) co_return peer_.remote_address;
    co_return results.begin()->host_name();
  }

  SpawnRequest spawn_request(const UpgradeRequest& request, const std::string& remote_host) {
    const RequestFacts facts = request_facts(request, peer_, target_, id_, remote_host);
    EnvironmentInputs inputs{state_.server_software, state_.config.passenv,
                             state_.parent_environment};
    SpawnRequest spawn;
    spawn.executable = target_.executable;
    spawn.argv = target_.argv;
    spawn.environment = build_child_environment(facts, inputs);
    return spawn;
  }

  // Client -> child: each message of our mode becomes input, with "\n"
  // after a text message. Messages are queued for the feeder, which writes
  // those that arrive together in one go; reading stops while its queue is
  // full: that is the back-pressure on the client. Callbacks, not a
  // coroutine: an idle connection keeps no coroutine frame.
  void read_client() {
    // Beast sets aside room for the payload before it waits, so the wait for
    // the next message asks for a little; a longer message is read to its
    // end once it is arriving.
    ws_.async_read_some(client_message_, limits::kWaitingReadBytes,
                        [self = this->shared_from_this()](error_code ec, std::size_t) {
                          if (!ec && !self->ws_.is_message_done()) {
                            self->read_rest_of_client_message();
                          } else {
                            self->on_client_message(ec);
                          }
                        });
  }

  void read_rest_of_client_message() {
    ws_.async_read(client_message_, [self = this->shared_from_this()](error_code ec, std::size_t) {
      self->on_client_message(ec);
    });
  }

  void on_client_message(error_code ec) {
    if (ec) return client_read_ended(ec);
    StdinFeeder& feeder = *stdin_feeder_;
    const bool binary_mode = state_.config.binary;
    const bool wanted = ws_.got_binary() == binary_mode;  // the other type is ignored
    if (wanted && !feeder.broken()) {
      const auto payload = client_message_.cdata();
      feeder.queue(std::string_view(static_cast<const char*>(payload.data()), payload.size()),
                   /*newline=*/!binary_mode);
    }
    // The feeder has its own copy: an idle connection keeps no buffer.
    client_message_.clear();
    client_message_.shrink_to_fit();
    if (feeder.has_room()) {
      read_client();
    } else {
      feeder.when_room([self = this->shared_from_this()] { self->read_client(); });
    }
  }

  void client_read_ended(error_code ec) {
    if (ec == websocket::error::message_too_big) {
      log::write(LogLevel::info, "session", context_,
                 "client message over --maxframesize, closed 1009");
    } else if (ec != websocket::error::closed && ec != asio::error::operation_aborted) {
      log::write(LogLevel::debug, "session", context_, "client read ended: " + ec.message());
    }
    client_open_ = false;
    client_message_ = beast::flat_buffer();
    // The ladder's first step closes stdin only once what the client sent
    // before it left is in the pipe (see on_close_stdin above).
    begin_termination();
    release_pipes_if_done();
  }

  // Child stdout -> client: one message per line (text mode) or per chunk
  // read (binary mode). The pipe is not read again until the client's
  // socket has taken what was read: that is the back-pressure on the child.
  // Waiting is a callback and sending a short-lived coroutine, so an idle
  // connection holds no coroutine frame for its child's output.
  void watch_stdout() {
    when_output(
        child_->child().stdout_pipe(),
        [](WsSession& self, std::string_view chunk) { self.on_stdout(chunk); },
        [](WsSession& self) { self.spawn_task([](WsSession& s) { return s.finish_stdout(); }); });
  }

  void on_stdout(std::string_view chunk) {
    if (state_.config.binary) {
      pending_binary_.assign(chunk);
      spawn_task([](WsSession& self) { return self.send_stdout_chunk(); });
      return;
    }
    stdout_lines_.append(chunk);
    if (chunk.find('\n') == std::string_view::npos &&
        stdout_lines_.buffered() < LineFramer::default_max_line) {
      watch_stdout();  // part of a line: nothing to send yet
      return;
    }
    spawn_task([](WsSession& self) { return self.send_stdout_lines(); });
  }

  asio::awaitable<void> send_stdout_chunk() {
    co_await send(pending_binary_, /*text=*/false);
    pending_binary_ = std::string();
    watch_stdout();
  }

  asio::awaitable<void> send_stdout_lines() {
    co_await send_complete_lines(stdout_lines_);
    stdout_lines_.compact();
    watch_stdout();
  }

  asio::awaitable<void> finish_stdout() {
    while (auto last = stdout_lines_.finish()) co_await send_line(OutputStream::stdout_stream, *last);
    stdout_lines_ = LineFramer();
    // Everything the child wrote is delivered: make sure the child is on its
    // way out, then a normal close.
    begin_termination();
    if (client_open_ && !stopping_) co_await close_client(websocket::close_code::normal);
  }

  // Child stderr -> the log, or to the client with --passstderr (then the
  // pipe waits while the client takes the lines, like stdout).
  void watch_stderr() {
    when_output(
        child_->child().stderr_pipe(),
        [](WsSession& self, std::string_view chunk) { self.on_stderr(chunk); },
        [](WsSession& self) {
          if (self.state_.config.pass_stderr) {
            self.spawn_task([](WsSession& s) { return s.finish_stderr_to_client(); });
          } else {
            while (auto last = self.stderr_lines_.finish()) self.log_stderr_line(*last);
          }
        });
  }

  void on_stderr(std::string_view chunk) {
    stderr_lines_.append(chunk);
    if (state_.config.pass_stderr) {
      spawn_task([](WsSession& self) { return self.send_stderr_lines(); });
      return;
    }
    while (auto line = stderr_lines_.next_line()) log_stderr_line(*line);
    stderr_lines_.compact();
    watch_stderr();
  }

  asio::awaitable<void> send_stderr_lines() {
    while (auto line = stderr_lines_.next_line()) {
      co_await send_line(OutputStream::stderr_stream, *line);
    }
    stderr_lines_.compact();
    watch_stderr();
  }

  asio::awaitable<void> finish_stderr_to_client() {
    while (auto last = stderr_lines_.finish()) {
      co_await send_line(OutputStream::stderr_stream, *last);
    }
  }

  void log_stderr_line(std::string_view line) {
    log::write(LogLevel::error, "stderr", context_, line);
  }

  // Waits until `pipe` is readable, then reads what is there into this
  // thread's buffer and calls on_chunk(*this, bytes); at EOF, or when the
  // pipe was closed under us, calls on_end(*this) instead.
  template <typename OnChunk, typename OnEnd>
  void when_output(ChildProcess::Pipe& pipe, OnChunk on_chunk, OnEnd on_end) {
    pipe.async_wait(ChildProcess::Pipe::wait_read,
                    [self = this->shared_from_this(), &pipe, on_chunk, on_end](error_code ec) {
                      if (ec || !pipe.is_open()) return on_end(*self);
                      const ssize_t n = read_some_now(pipe.native_handle(), thread_read_buffer());
                      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        return self->when_output(pipe, on_chunk, on_end);  // nothing after all
                      }
                      if (n <= 0) return on_end(*self);
                      on_chunk(*self, std::string_view(thread_read_buffer().data(),
                                                       static_cast<std::size_t>(n)));
                    });
  }

  // Sends every complete line of `lines` as one message each, corked: they
  // leave in as few writes as their size allows.
  asio::awaitable<void> send_complete_lines(LineFramer& lines) {
    auto line = lines.next_line();
    if (!line) co_return;
    if (!client_open_ || close_sent_) {
      while (lines.next_line()) {}  // the client is gone: drained and dropped
      co_return;
    }
    co_await gate_.acquire();
    for (; line; line = lines.next_line()) {
      if (line->size() >= limits::kCorkedBytesLimit) {
        co_await flush_locked();  // a long line is sent from where it is, not copied
      } else {
        ws_.next_layer().cork();
      }
      co_await send_line_locked(OutputStream::stdout_stream, *line);
      if (ws_.next_layer().held_bytes() >= limits::kCorkedBytesLimit) co_await flush_locked();
    }
    co_await flush_locked();
    gate_.release();
  }

  asio::awaitable<void> send_line(OutputStream stream, std::string_view line) {
    if (!client_open_ || close_sent_) co_return;
    co_await gate_.acquire();
    co_await send_line_locked(stream, line);
    gate_.release();
  }

  asio::awaitable<void> send_line_locked(OutputStream stream, std::string_view line) {
    if (!state_.config.pass_stderr) {
      co_await send_locked(line, /*text=*/true);
      co_return;
    }
    tagged_line_.clear();
    append_tagged_line(stream, line, tagged_line_);
    co_await send_locked(tagged_line_, /*text=*/true);
  }

  // Sends one message; once the client is gone, output is drained and
  // dropped so the child never blocks on a full pipe.
  asio::awaitable<void> send(std::string_view payload, bool text) {
    if (!client_open_ || close_sent_) co_return;
    co_await gate_.acquire();
    co_await send_locked(payload, text);
    gate_.release();
  }

  // The same, for a caller that holds the gate.
  asio::awaitable<void> send_locked(std::string_view payload, bool text) {
    if (!client_open_ || close_sent_) co_return;
    error_code ec;
    ws_.text(text);
    co_await ws_.async_write(asio::buffer(payload.data(), payload.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
    if (ec) lose_client();
  }

  // Uncorks: sends what the corked writes held. The caller holds the gate.
  asio::awaitable<void> flush_locked() {
    error_code ec;
    co_await ws_.next_layer().async_flush(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) lose_client();
  }

  void lose_client() {
    client_open_ = false;
    begin_termination();
  }

  asio::awaitable<void> close_client(websocket::close_code code) {
    if (!client_open_ || close_sent_) co_return;
    co_await gate_.acquire();
    if (client_open_ && !close_sent_) {
      close_sent_ = true;
      error_code ec;  // a client that is already gone needs no close frame
      co_await ws_.async_close(code, asio::redirect_error(asio::use_awaitable, ec));
    }
    gate_.release();
  }

  // When the client is gone and the child has exited, whatever is left of
  // its process group (a background job still holding stdout) is killed and
  // our pipe ends are closed, so the session can end. The child is not yet
  // reaped, so its pid (the group id) cannot have been reused.
  void release_pipes_if_done() {
    if (client_open_ || !child_ || !child_->exited() || pipes_released_) return;
    pipes_released_ = true;
    ChildProcess& child = child_->child();
    child.signal_group(SIGKILL);
    error_code ignored;  // closing cancels the relays' waits, which is the intent
    child.stdout_pipe().close(ignored);
    child.stderr_pipe().close(ignored);
    child.close_stdin();
  }

  void begin_termination() {
    if (child_) child_->terminate();
  }

  websocket::stream<CorkableStream<Stream>> ws_;
  PeerInfo peer_;
  ScriptTarget target_;
  std::optional<ForkSlot> slot_;  // handed to the supervisor once the child runs
  ServerState& state_;
  Worker& worker_;
  WorkerRegistration registration_;
  WriteGate gate_;
  std::string id_;
  std::string context_;
  std::shared_ptr<ChildSupervisor> child_;
  std::optional<StdinFeeder> stdin_feeder_;  // once the child runs
  beast::flat_buffer client_message_;         // the client's message being read
  LineFramer stdout_lines_;
  LineFramer stderr_lines_;
  std::string pending_binary_;  // a binary chunk being sent
  std::string tagged_line_;     // a --passstderr JSON message being sent

  bool client_open_ = true;
  bool close_sent_ = false;
  bool pipes_released_ = false;
  bool stopping_ = false;
  bool connected_ = false;  // the handshake is done and the child runs: CONNECT was logged
  bool child_pending_ = false;                  // start_child() awaits its answer
  asio::steady_timer* child_waiter_ = nullptr;  // run(), waiting for that answer
  std::error_code spawn_error_;                 // why the child could not be started
};

}  // namespace

template <typename Stream>
void start_ws_session(Stream stream, UpgradeRequest request, PeerInfo peer, ScriptTarget target,
                      ForkSlot slot, ServerState& state, Worker& worker) {
  beast::get_lowest_layer(stream).expires_never();  // the WebSocket's own timeouts take over
  auto transport = websocket_transport(std::move(stream));
  using Session = WsSession<decltype(transport)>;
  auto session = std::make_shared<Session>(std::move(transport), std::move(peer),
                                           std::move(target), std::move(slot), state, worker);
  session->start(std::move(request));
}

template void start_ws_session(PlainStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                               ServerState&, Worker&);
template void start_ws_session(TlsStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                               ServerState&, Worker&);
template void start_ws_session(UnixStream, UpgradeRequest, PeerInfo, ScriptTarget, ForkSlot,
                               ServerState&, Worker&);

}  // namespace wsexec
