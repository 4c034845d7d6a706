#include "shared/shared_session.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/container/small_vector.hpp>
#include <exception>
#include <list>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/limits.hpp"
#include "core/shared_protocol.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "shared/shared_client.hpp"
#include "shared/shared_launch.hpp"
#include "shared/shared_registry.hpp"
#include "websocket/client_writer.hpp"
#include "websocket/corkable_stream.hpp"
#include "websocket/ending_write_watch.hpp"
#include "websocket/negotiation.hpp"
#include "websocket/paused_client_probe.hpp"
#include "websocket/session_task.hpp"
#include "websocket/websocket_setup.hpp"

namespace wsexec {
namespace shared_session_detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

// One client of a shared program. Nothing here waits for the program or
// for other clients: its output arrives as shared pieces (deliver) into a
// queue bounded by --sendqueue, and its messages leave for the program's
// thread at once, the client being paused only while its own bytes wait
// there (input_written gives room back).
template <typename Stream>
class SharedSession : public std::enable_shared_from_this<SharedSession<Stream>>,
                      public Stoppable,
                      public SharedClient {
  friend class wsexec::EndingWriteWatch;
  friend class wsexec::PausedClientProbe;

 public:
  SharedSession(Stream stream, ServerState& state, Worker& worker)
      : ws_(std::move(stream)),
        writer_(ws_, client_, /*tag_streams=*/false),  // the program tags once for everyone
        state_(state),
        worker_(worker),
        registration_(worker, this),
        id_(std::stoull(state.next_connection_id())) {
    ws_.next_layer().limit_teardown_by(worker.teardown_sweep());
  }

  ~SharedSession() {
    leave_program();
    if (connected_) log::write(LogLevel::access, "session", context_, "DISCONNECT");
  }

  // The request, the peer and the target live in the handshake's frame
  // only: once the client has joined, nothing needs them (its log context
  // keeps what the log says).
  void start(RequestHead request, PeerInfo peer, ScriptTarget target) {
    spawn_task([request = std::move(request), peer = std::move(peer),
                target = std::move(target)](SharedSession& self) mutable {
      return self.run(std::move(request), std::move(peer), std::move(target));
    });
  }

  void stop() override {
    if (stopping_) return;
    stopping_ = true;
    leave_program();
    if (handshake_done_) {
      send_close(websocket::close_code::going_away);
    } else {
      error_code ignored;  // the handshake has not finished; just drop it
      socket_of(beast::get_lowest_layer(ws_)).close(ignored);
    }
  }

  void program_running(pid_t pid) override {
    if (connected_ || !client_.open || left_) return;
    connected_ = true;
    log::add_to_context(context_, "pid", std::to_string(pid));
    log::write(LogLevel::access, "session", context_, "CONNECT");
  }

  void deliver(SharedOutputPtr output) override {
    if (!client_.writable() || left_) return;
    // A piece is always taken into an empty queue, however large: the
    // bound is on how far behind a client is, not on one read's size.
    if (!queue_.empty() && queued_bytes_ + output->bytes > state_.config.send_queue_bytes) {
      return drop_slow_client();
    }
    queued_bytes_ += output->bytes;
    queue_.push_back(std::move(output));
    if (!sending_) send_next();
  }

  void input_written(std::size_t bytes) override {
    input_waiting_ -= std::min(bytes, input_waiting_);
    if (reads_paused_ && input_waiting_ < limits::kSharedClientInputBytes && client_.open) {
      reads_paused_ = false;
      read_client();
    }
  }

  // After what the program printed before it: the close waits for the queue.
  void closed_by_program(std::uint16_t code, std::string reason) override {
    left_ = true;  // the program has forgotten us already
    close_from_program_ =
        std::make_unique<websocket::close_reason>(static_cast<websocket::close_code>(code), reason);
    if (!sending_) send_close_from_program();
  }

 private:
  template <typename Body>
  void spawn_task(Body body) {
    spawn_session_task(ws_.get_executor(), this->shared_from_this(), context_, std::move(body));
  }

  asio::awaitable<void> run(RequestHead request, PeerInfo peer, ScriptTarget target) {
    const std::string origin(find_header(request, beast::http::field::origin).value_or(""));
    const std::string url =
        std::string(peer.tls ? "https://" : "http://") +
        std::string(find_header(request, beast::http::field::host).value_or("")) +
        std::string(request.target());
    context_ = log::make_context({{"url", url},
                                  {"id", std::to_string(id_)},
                                  {"remote", peer.remote_address},
                                  {"command", target.executable},
                                  {"origin", origin}});
    // Compression and the subprotocol apply to a shared program's clients as
    // to any other (the subprotocol is chosen per client, not passed on to
    // the program, which is one for all of them).
    configure_websocket(ws_, state_, chosen_subprotocol(request, state_.config));
    ws_.set_option(deflate_settings(request, state_.config));
    watch_client_close_frames(ws_, context_, [this] {
      client_.close_received = true;
      EndingWriteWatch::start(this->shared_from_this());  // Beast's reply waits for our writes
    });
    error_code ec;
    co_await ws_.async_accept(request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopping_) {
      if (ec) log::write(LogLevel::debug, "session", {}, "handshake failed: " + ec.message());
      client_.open = false;
      co_return;
    }
    handshake_done_ = true;
    const SharedLaunch launch = shared_launch(target, peer, state_);
    SharedClientHandle handle;
    handle.id = numeric_id();
    handle.client = this->weak_from_this();
    handle.executor = ws_.get_executor();
    if (addressed())
      handle.open_event = open_event({std::to_string(id_), peer.remote_address, url, origin});
    program_ = state_.shared_programs->join_or_start(launch.key, worker_, launch.request,
                                                     std::move(handle));
    if (!program_) {
      log::write(LogLevel::error, "session", context_,
                 "--maxforks programs are running: the shared program cannot start");
      co_await writer_.close(websocket::close_reason(websocket::close_code::try_again_later,
                                                     "too many programs running"));
      co_return;
    }
    // The pending read holds the session (the program holds it weakly).
    // What the client sends before the program runs waits in its stdin queue.
    read_client_once_readable();
  }

  void send_close_from_program() {
    if (!close_from_program_) return;
    send_close(*std::exchange(close_from_program_, nullptr));
  }

  // Our close frame, after what is being sent (a close_code converts).
  void send_close(websocket::close_reason reason) {
    EndingWriteWatch::start(this->shared_from_this());
    spawn_task(
        [reason = std::move(reason)](SharedSession& self) { return self.writer_.close(reason); });
  }

  // One write's worth of pieces: enough that a client which fell behind
  // catches up in a few writes, few enough that the list stays small.
  static constexpr std::size_t kMaxPiecesPerWrite = 64;
  // Most writes carry one piece: it is held in place, not allocated.
  using EncodedPieces = boost::container::small_vector<SharedOutputPtr, 1>;

  std::uint64_t numeric_id() const { return id_; }
  bool addressed() const { return state_.config.shared_mode == SharedMode::addressed; }

  // Sends what is queued, the fast way when it can: encoded pieces (the
  // usual case) are written straight from where they are, all that is
  // queued (up to kMaxPiecesPerWrite) in one write, with no coroutine and
  // no copy; each completion sends what came meanwhile. Ten thousand
  // clients of one program each take this path for every line it prints,
  // so its cost is the broadcast's latency (docs/performance.md, "The
  // direct send"). Pieces that are not encoded (--compress), or a gate held
  // by a send or the close, go the coroutine's way (send_queued).
  void send_next() {
    if (queue_.empty() || !client_.writable()) {
      sending_ = false;
      return send_close_from_program();
    }
    sending_ = true;
    if (queue_.front()->frames.empty()) return send_queued_as_a_task();
    // The pieces are owned by the write's completion: drop_slow_client()
    // may empty the queue while they are on the socket.
    EncodedPieces pieces;
    boost::container::small_vector<asio::const_buffer, 1> buffers;
    for (const SharedOutputPtr& output : queue_) {
      if (output->frames.empty() || pieces.size() == kMaxPiecesPerWrite) break;
      pieces.push_back(output);
      buffers.push_back(asio::buffer(output->frames));
    }
    const bool started = writer_.try_send_encoded_now(
        buffers, [self = this->shared_from_this(), pieces = std::move(pieces)](
                     error_code ec) mutable { self->encoded_sent(ec, pieces); });
    if (!started) send_queued_as_a_task();
  }

  // Pieces written by send_next(): out of the queue, then on to what came
  // since.
  void encoded_sent(error_code ec, const EncodedPieces& pieces) {
    dequeue_sent(pieces, ec);
    if (ec) {
      sending_ = false;  // the client is gone: its reader ends the session
      return;
    }
    send_next();
  }

  void send_queued_as_a_task() {
    spawn_task([](SharedSession& self) { return self.send_queued(); });
  }

  // The program's output, piece after piece, lines corked as in a
  // per-connection session. Pieces already encoded (shared/shared_frames)
  // go out together: all that is queued, in one write when it fits.
  asio::awaitable<void> send_queued() {
    while (!queue_.empty() && client_.writable()) {
      if (!queue_.front()->frames.empty()) {
        if (co_await send_encoded_run()) break;  // the client is gone: its reader ends the session
        continue;
      }
      const SharedOutputPtr output = queue_.front();
      error_code ec;
      if (output->binary) {
        for (const std::string& chunk : output->messages) {
          ec = co_await writer_.send_binary(chunk);
          if (ec) break;
        }
      } else {
        std::size_t next = 0;
        ec = co_await writer_.send_lines(OutputStream::stdout_stream,
                                         [&output, &next]() -> std::optional<std::string_view> {
                                           if (next == output->messages.size()) return std::nullopt;
                                           return output->messages[next++];
                                         });
      }
      // drop_slow_client() may have emptied the queue meanwhile.
      if (!queue_.empty() && queue_.front() == output) {
        queued_bytes_ -= output->bytes;
        queue_.pop_front();
      }
      if (ec) break;  // the client is gone: its reader ends the session
    }
    sending_ = false;
    send_close_from_program();
  }

  // The encoded pieces at the front of the queue, sent together; each is
  // dequeued once sent (unless drop_slow_client() emptied the queue meanwhile).
  asio::awaitable<error_code> send_encoded_run() {
    std::vector<SharedOutputPtr> run;
    for (const SharedOutputPtr& output : queue_) {
      if (output->frames.empty()) break;
      run.push_back(output);
    }
    std::size_t next = 0;
    const error_code ec =
        co_await writer_.send_encoded([&run, &next]() -> std::optional<std::string_view> {
          if (next == run.size()) return std::nullopt;
          return std::string_view(run[next++]->frames);
        });
    dequeue_sent(run, ec);
    co_return ec;
  }

  // Encoded pieces a write has taken: each leaves the queue (unless
  // drop_slow_client() emptied it meanwhile) and, if the write succeeded,
  // counts its messages as sent.
  template <typename Pieces>
  void dequeue_sent(const Pieces& pieces, error_code ec) {
    for (const SharedOutputPtr& output : pieces) {
      if (queue_.empty() || queue_.front() != output) break;
      queued_bytes_ -= output->bytes;
      queue_.pop_front();
      if (!ec) {
        for (const std::string& message : output->messages)
          metrics::message_to_client(message.size());
      }
    }
  }

  // Too far behind: the others and the program must not wait for it. Its
  // queue is dropped, a close (1008) goes after what it is being sent, and
  // if it cannot even take that within kSlowClientCloseGrace the socket is
  // closed under it.
  void drop_slow_client() {
    log::write(LogLevel::info, "session", context_,
               "client fell more than " + std::to_string(state_.config.send_queue_bytes) +
                   " bytes behind (--sendqueue): closed 1008");
    leave_program();
    queue_.clear();
    queued_bytes_ = 0;
    spawn_task([](SharedSession& self) {
      return self.writer_.close(
          websocket::close_reason(websocket::close_code::policy_error, "too slow to keep up"));
    });
    auto timer =
        std::make_shared<asio::steady_timer>(ws_.get_executor(), limits::kSlowClientCloseGrace);
    timer->async_wait([self = this->shared_from_this(), timer](error_code) {
      error_code ignored;  // closing cancels every wait on the socket, as intended
      socket_of(beast::get_lowest_layer(self->ws_)).close(ignored);
    });
  }

  // A pending Beast read costs its operations and the kWaitingReadBytes it
  // prepares before any byte has come, about 0.5 KiB (heaptrack,
  // docs/performance.md), for each of thousands of clients that only
  // listen. So until the client's first byte, a wait for the socket to turn
  // readable holds the session instead. Only on a bare socket: after the
  // handshake neither Beast nor the read-ahead holds a byte of the client's
  // there, so whatever it sends is still in the socket; a TLS stream may
  // have taken it into its own buffer already. And not with --pingms:
  // Beast arms its idle timer (pings, and the drop of a silent client) at
  // the start of a read, not at the end of the handshake.
  void read_client_once_readable() {
    if constexpr (!std::is_same_v<Stream, TlsStream>) {
      if (state_.config.ping_ms == 0) {
        socket_of(beast::get_lowest_layer(ws_))
            .async_wait(asio::socket_base::wait_read,
                        [self = this->shared_from_this()](error_code ec) {
                          if (ec) return self->client_read_ended(ec);
                          self->read_client();
                        });
        return;
      }
    }
    read_client();
  }

  void read_client() {
    ws_.async_read_some(client_message_, limits::kWaitingReadBytes,
                        [self = this->shared_from_this()](error_code ec, std::size_t) {
                          if (!ec && !self->ws_.is_message_done()) {
                            self->ws_.async_read(self->client_message_,
                                                 [self](error_code ec2, std::size_t) {
                                                   self->on_client_message(ec2);
                                                 });
                          } else {
                            self->on_client_message(ec);
                          }
                        });
  }

  void on_client_message(error_code ec) {
    if (ec) return client_read_ended(ec);
    const bool binary_mode = state_.config.binary;
    if (ws_.got_binary() == binary_mode && !left_) {  // the other type is ignored
      const auto payload = client_message_.cdata();
      const std::string_view bytes(static_cast<const char*>(payload.data()), payload.size());
      std::string message;
      if (addressed()) {
        message = message_event(std::to_string(id_), bytes, binary_mode);
      } else {
        message.assign(bytes);
        if (!binary_mode) message.push_back('\n');
      }
      input_waiting_ += message.size();
      program_.send(numeric_id(), std::move(message));
    }
    client_message_.clear();
    client_message_.shrink_to_fit();
    if (input_waiting_ < limits::kSharedClientInputBytes) {
      read_client();
    } else {
      reads_paused_ = true;  // input_written() resumes
      watch_paused_client();
      PausedClientProbe::start(this->shared_from_this());
    }
  }

  // While reads are paused nothing else holds the session (the program
  // holds it weakly, from another thread), and a client that resets the
  // connection would go unseen until the program reads again. So the
  // socket is watched for an error or a hang-up meanwhile, without reading
  // what the client already sent; the wait holds the session. One at a
  // time: a watch left over from an earlier pause serves the next one.
  void watch_paused_client() {
    if (watching_socket_) return;
    watching_socket_ = true;
    auto& socket = socket_of(beast::get_lowest_layer(ws_));
    socket.async_wait(asio::socket_base::wait_error,
                      [self = this->shared_from_this()](error_code ec) {
                        self->watching_socket_ = false;
                        if (ec || !self->client_.open) return;
                        if (!socket_failed(socket_of(beast::get_lowest_layer(self->ws_)))) {
                          if (self->reads_paused_) self->watch_paused_client();
                          return;  // urgent data, not an end
                        }
                        self->client_read_ended(asio::error::connection_reset);
                      });
  }

  void client_read_ended(error_code ec) {
    log_client_read_end(ec, context_);
    client_.open = false;
    EndingWriteWatch::start(this->shared_from_this());  // a half-closed client may read no more
    client_message_ = beast::flat_buffer();
    queue_.clear();
    queued_bytes_ = 0;
    leave_program();
  }

  void leave_program() {
    if (left_ || !program_) return;
    left_ = true;
    // The code the client closed with; 1006 when it sent none (it vanished,
    // or we closed it).
    const std::uint16_t code = ws_.reason().code;
    program_.leave(numeric_id(), code != 0 ? code : std::uint16_t{websocket::close_code::abnormal});
  }

  websocket::stream<CorkableStream<Stream>> ws_;
  ClientState client_;
  ClientWriter<Stream> writer_;
  ServerState& state_;
  Worker& worker_;
  WorkerRegistration registration_;
  // The connection's id kept as a number: as text (19 digits) it would be
  // a heap allocation per client besides the string itself.
  std::uint64_t id_;
  std::string context_;
  SharedProgramRef program_;
  beast::flat_buffer client_message_;
  // The program's output not yet sent. A list, not a deque: an empty
  // std::deque still holds a 512-byte block and its map, about 10 % of an
  // idle client's memory (heaptrack, docs/performance.md).
  std::list<SharedOutputPtr> queue_;
  // Sent once queue_ is. Held apart: a close_reason is 130 bytes, which
  // every idle client would carry for the one moment the program ends.
  std::unique_ptr<websocket::close_reason> close_from_program_;
  std::size_t queued_bytes_ = 0;
  std::size_t input_waiting_ = 0;  // our bytes not yet in the program's stdin
  bool sending_ = false;
  bool reads_paused_ = false;
  bool watching_socket_ = false;  // watch_paused_client() waits
  PausedClientProbe paused_probe_;
  bool handshake_done_ = false;
  bool connected_ = false;  // the program runs and CONNECT was logged
  bool left_ = false;       // the program forgot us, or we it
  bool stopping_ = false;
  EndingWriteWatch ending_watch_;
};

}  // namespace shared_session_detail

template <typename Stream>
void start_shared_session(Stream stream, RequestHead request, PeerInfo peer, ScriptTarget target,
                          ServerState& state, Worker& worker) {
  boost::beast::get_lowest_layer(stream).expires_never();  // the WebSocket's timeouts take over
  auto transport = websocket_transport(std::move(stream));
  using Session = shared_session_detail::SharedSession<decltype(transport)>;
  auto session = std::make_shared<Session>(std::move(transport), state, worker);
  session->start(std::move(request), std::move(peer), std::move(target));
}

template void start_shared_session(PlainStream, RequestHead, PeerInfo, ScriptTarget, ServerState&,
                                   Worker&);
template void start_shared_session(TlsStream, RequestHead, PeerInfo, ScriptTarget, ServerState&,
                                   Worker&);
template void start_shared_session(UnixStream, RequestHead, PeerInfo, ScriptTarget, ServerState&,
                                   Worker&);

}  // namespace wsexec
