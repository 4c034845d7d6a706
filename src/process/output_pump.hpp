#pragma once
// One of a child's output pipes on its way somewhere: a WebSocket session's
// stdout and stderr are two instances of it, and a CGI script's stderr on its
// way to the log (relay_stderr_to_log) a third.
//
// The pump waits until its pipe is readable (a plain callback: an idle
// connection holds no coroutine frame and no buffer for it), reads up to
// 64 KiB into the thread's shared buffer, frames what it read (lines in
// text mode, the chunk as it came in binary mode: a large chunk takes the
// buffer whole rather than a copy) and hands the pieces to
// its sink. It does not read the pipe again until the sink has taken them
// and called resume(): a client that stops reading stops the child. At EOF
// it hands over what is left, a last line without "\n" included.
//
// Runs on one worker's thread; every member is called from it. No Beast
// here: the sink decides what a piece becomes.
#include <boost/system/error_code.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/line_framing.hpp"
#include "core/tagged_output.hpp"
#include "process/child_process.hpp"
#include "process/pipe_capacity.hpp"

namespace wsexec {

class OutputPump;

// Where a pump's pieces go.
class OutputSink {
 public:
  // Pieces are ready: take them with pump.next_piece() until it returns
  // nullopt, then call pump.resume(). The pipe waits meanwhile.
  virtual void on_output(OutputPump& pump) = 0;
  // The output ended (EOF, or the pipe was closed under the pump): take
  // what is left with pump.last_piece() until it returns nullopt.
  virtual void on_output_end(OutputPump& pump) = 0;
  // What must stay alive while the pump waits for its pipe (the session
  // that holds the pump, its pipe and the sink). Asked for at each wait
  // rather than kept, which saves every connection a weak pointer per pump.
  virtual std::shared_ptr<void> keep_alive() = 0;

 protected:
  ~OutputSink() = default;
};

class OutputPump {
 public:
  enum class Framing { lines, chunks };

  OutputPump(ChildProcess::Pipe& pipe, OutputStream stream, Framing framing, OutputSink& sink);

  OutputStream stream() const { return stream_; }

  // Starts waiting for output.
  void start() { wait_readable(); }

  // The next piece to send: a complete line (text mode) or the chunk read
  // (binary mode). The view stays valid until the next call.
  std::optional<std::string_view> next_piece();

  // Binary mode: the chunk read, without taking it (next_piece() still
  // returns it). Valid until resume(). nullopt in text mode or once taken.
  std::optional<std::string_view> peek_chunk() const;

  // The sink has taken the pieces: read the pipe again.
  void resume();

  // After the end: the lines still held, then the last one without "\n".
  std::optional<std::string_view> last_piece();

 private:
  void wait_readable();
  void on_readable(boost::system::error_code ec);
  // Part of a line only: nothing to hand over yet.
  bool holds_no_complete_line(std::string_view just_read) const;

  ChildProcess::Pipe& pipe_;
  OutputSink& sink_;
  // A chunk of binary output, held from the read until the sink has sent
  // it. A large one takes the thread's read block whole instead of being
  // copied out of it, and gives it back once sent (output_pump.cpp).
  struct Chunk {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
    bool whole_block = false;  // `bytes` is a read block, to be given back
  };
  void hold_chunk(Chunk& chunk, std::size_t size);

  // Lines: what was read, not yet taken as lines. Chunks: the chunk being
  // sent. One or the other, never both.
  std::variant<LineFramer, Chunk> held_;
  OutputStream stream_;
  bool chunk_taken_ = false;
  PipeGrowth pipe_growth_;  // for a bulk stream (limits::kBulkPipeBytes)
};

}  // namespace wsexec
