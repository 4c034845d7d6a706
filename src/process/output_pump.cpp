#include "process/output_pump.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <memory>
#include <span>

#include "core/limits.hpp"

namespace wsexec {
namespace {

// One buffer per worker thread instead of one per connection: a read in
// text mode is framed before the thread does anything else, so the
// connections of a thread can share it.
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

}  // namespace

OutputPump::OutputPump(ChildProcess::Pipe& pipe, OutputStream stream, Framing framing,
                       OutputSink& sink)
    : pipe_(pipe), sink_(sink), stream_(stream) {
  if (framing == Framing::chunks) held_.emplace<Chunk>();
}

void OutputPump::wait_readable() {
  pipe_.async_wait(
      ChildProcess::Pipe::wait_read,
      [this, owner = sink_.keep_alive()](boost::system::error_code ec) { on_readable(ec); });
}

void OutputPump::on_readable(boost::system::error_code ec) {
  if (ec || !pipe_.is_open()) return sink_.on_output_end(*this);
  auto* chunk = std::get_if<Chunk>(&held_);
  const ssize_t n =
      chunk ? read_chunk(*chunk) : read_some_now(pipe_.native_handle(), thread_read_buffer());
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return wait_readable();
  if (n <= 0) return sink_.on_output_end(*this);
  if (chunk) {
    chunk_taken_ = false;
  } else {
    const std::string_view just_read(thread_read_buffer().data(), static_cast<std::size_t>(n));
    std::get<LineFramer>(held_).append(just_read);
    if (holds_no_complete_line(just_read)) return wait_readable();
  }
  sink_.on_output(*this);
}

ssize_t OutputPump::read_chunk(Chunk& chunk) {
  if (!chunk.bytes)
    chunk.bytes = std::make_unique_for_overwrite<char[]>(limits::kChildReadChunkBytes);
  const ssize_t n = read_some_now(pipe_.native_handle(),
                                  std::span<char>(chunk.bytes.get(), limits::kChildReadChunkBytes));
  const int read_errno = errno;
  chunk.size = n > 0 ? static_cast<std::size_t>(n) : 0;
  if (n <= 0) chunk.bytes.reset();  // nothing to hold while waiting
  errno = read_errno;
  return n;
}

bool OutputPump::holds_no_complete_line(std::string_view just_read) const {
  return just_read.find('\n') == std::string_view::npos &&
         std::get<LineFramer>(held_).buffered() < LineFramer::default_max_line;
}

std::optional<std::string_view> OutputPump::next_piece() {
  if (auto* lines = std::get_if<LineFramer>(&held_)) return lines->next_line();
  const std::optional<std::string_view> chunk = peek_chunk();
  chunk_taken_ = true;
  return chunk;
}

std::optional<std::string_view> OutputPump::peek_chunk() const {
  const auto* chunk = std::get_if<Chunk>(&held_);
  if (!chunk || chunk_taken_ || !chunk->bytes) return std::nullopt;
  return std::string_view(chunk->bytes.get(), chunk->size);
}

void OutputPump::resume() {
  // Memory is given back before the wait: an idle pump holds no copy.
  if (auto* lines = std::get_if<LineFramer>(&held_)) {
    lines->compact();
  } else {
    std::get<Chunk>(held_) = Chunk();
  }
  wait_readable();
}

std::optional<std::string_view> OutputPump::last_piece() {
  auto* lines = std::get_if<LineFramer>(&held_);
  if (!lines) return std::nullopt;
  auto last = lines->finish();
  if (!last) *lines = LineFramer();
  return last;
}

}  // namespace wsexec
