#pragma once
// Child -> client for one WebSocket session: the child's stdout, and its
// stderr (to the client with --passstderr, to the log always), each through
// an OutputPump, sent by the session's ClientWriter. When stdout ends,
// everything it printed is delivered, the child is set on its way out and
// the client gets a normal close (1000).
//
// A base of the session (CRTP) rather than an object of its own: it lives
// and dies with the session, costs no allocation and no pointer, and reaches
// the session's writer, state and tasks directly. The session declares it a
// friend and provides: writer_, state_, client_, stopping_, context_,
// spawn_task(), begin_termination(), shared_from_this(), note_activity()
// (a message went to the client) and close_once_exited() (the normal
// close, whose reason says how the program ended).
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string_view>

#include "core/tagged_output.hpp"
#include "process/child_process.hpp"
#include "process/output_pump.hpp"
#include "server/log.hpp"
#include "websocket/frame_header.hpp"

namespace wsexec {

template <typename Session>
class OutputRelay : public OutputSink {
 protected:
  // Starts reading both of the child's output pipes.
  void relay_output(ChildProcess& child, bool binary) {
    binary_ = binary;
    const auto framing = binary ? OutputPump::Framing::chunks : OutputPump::Framing::lines;
    stdout_pump_.emplace(child.stdout_pipe(), OutputStream::stdout_stream, framing, *this);
    // Stderr is always framed in lines: they are log lines.
    stderr_pump_.emplace(child.stderr_pipe(), OutputStream::stderr_stream,
                         OutputPump::Framing::lines, *this);
    stdout_pump_->start();
    stderr_pump_->start();
  }

 private:
  Session& session() { return static_cast<Session&>(*this); }

  bool to_client(const OutputPump& pump) {
    return pump.stream() == OutputStream::stdout_stream || session().state_.config.pass_stderr;
  }

  // Stderr for the log alone is logged at once, without a coroutine. (Not
  // relay_stderr_to_log(): its own allocation, context copy and framer
  // cost every connection about 0.4 KiB, measured with wsbench hold.)
  void on_output(OutputPump& pump) override {
    if (!to_client(pump)) {
      while (logged(pump, pump.next_piece())) {
      }
      return pump.resume();
    }
    if (binary_ && send_chunk_now(pump)) return;
    session().spawn_task(
        [&pump](Session& self) { return static_cast<OutputRelay&>(self).send_output(pump); });
  }

  // A chunk of binary output (stdout: stderr is always lines) goes out as
  // one write of its frame, past Beast's write operation and without a
  // coroutine: a 64 KiB chunk and its header then leave in one sendmsg
  // (docs/performance.md, "A binary chunk in one write"). Not with
  // --compress, whose messages may have to be compressed (Beast's way),
  // nor while another send or the close holds the gate: the coroutine then
  // waits its turn. Only this pump's chunks use chunk_header_, and the pump
  // reads its next chunk only once this one is sent (resume()).
  bool send_chunk_now(OutputPump& pump) {
    if (session().state_.config.compress || !session().client_.writable()) return false;
    const std::optional<std::string_view> chunk = pump.peek_chunk();
    if (!chunk) return false;
    chunk_header_ = ServerFrameHeader(/*binary=*/true, chunk->size());
    session().note_activity();
    return session().writer_.try_send_frame_now(
        chunk_header_.buffer(), *chunk,
        [this, &pump, owner = session().shared_from_this()](boost::system::error_code ec) {
          if (ec) session().begin_termination();
          pump.resume();
        });
  }

  void on_output_end(OutputPump& pump) override {
    if (!to_client(pump)) {
      while (logged(pump, pump.last_piece())) {
      }
      return;
    }
    session().spawn_task(
        [&pump](Session& self) { return static_cast<OutputRelay&>(self).finish_output(pump); });
  }

  std::shared_ptr<void> keep_alive() override { return session().shared_from_this(); }

  boost::asio::awaitable<void> send_output(OutputPump& pump) {
    session().note_activity();
    boost::system::error_code ec;
    if (binary_) {
      ec = co_await session().writer_.send_binary(*pump.next_piece());
    } else {
      ec = co_await session().writer_.send_lines(
          pump.stream(), [this, &pump] { return logged(pump, pump.next_piece()); });
    }
    if (ec) session().begin_termination();
    pump.resume();
  }

  boost::asio::awaitable<void> finish_output(OutputPump& pump) {
    const boost::system::error_code ec = co_await session().writer_.send_lines(
        pump.stream(), [this, &pump] { return logged(pump, pump.last_piece()); });
    if (ec || pump.stream() != OutputStream::stdout_stream) {
      if (ec) session().begin_termination();
      co_return;
    }
    // Everything the child wrote is delivered: make sure the child is on its
    // way out, then a normal close.
    session().note_activity();
    session().begin_termination();
    session().close_once_exited();
  }

  // The program's stderr lines go to the log, with --passstderr as well as
  // to the client (as websocketd does), whether or not the client is there.
  std::optional<std::string_view> logged(const OutputPump& pump,
                                         std::optional<std::string_view> line) {
    if (line && pump.stream() == OutputStream::stderr_stream) {
      log::write(LogLevel::error, "stderr", session().context_, *line);
    }
    return line;
  }

  std::optional<OutputPump> stdout_pump_;  // once connected
  std::optional<OutputPump> stderr_pump_;  // once connected
  bool binary_ = false;                    // --binary, or --pty: stdout in binary messages
  ServerFrameHeader chunk_header_{/*binary=*/true, 0};  // of the chunk send_chunk_now() sends
};

}  // namespace wsexec
