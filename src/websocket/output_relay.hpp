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
    session().spawn_task(
        [&pump](Session& self) { return static_cast<OutputRelay&>(self).send_output(pump); });
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
};

}  // namespace wsexec
