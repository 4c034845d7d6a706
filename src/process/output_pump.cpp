#include "process/output_pump.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <span>

#include "core/limits.hpp"

namespace wsexec {
namespace {

// One read buffer per worker thread instead of one per connection: a read
// in text mode is framed before the thread does anything else, so the
// connections of a thread can share it. On the heap, so that a large chunk
// of binary output can take the block whole instead of being copied out of
// it (take_thread_block); the thread then reads into the block the last
// chunk sent gave back (give_back_thread_block), or a new one.
using ReadBlock = std::unique_ptr<char[]>;

ReadBlock& thread_block_slot() {
  thread_local ReadBlock block;
  return block;
}

std::span<char> thread_read_buffer() {
  ReadBlock& block = thread_block_slot();
  if (!block) block = std::make_unique_for_overwrite<char[]>(limits::kChildReadChunkBytes);
  return {block.get(), limits::kChildReadChunkBytes};
}

ReadBlock take_thread_block() {
  return std::move(thread_block_slot());
}

void give_back_thread_block(ReadBlock block) {
  ReadBlock& slot = thread_block_slot();
  if (!slot) slot = std::move(block);  // else freed: one spare per thread is enough
}

// A chunk this large takes the read block whole; a smaller one is copied
// out, so that a chunk held for a client that does not read costs at most
// four times its size, not always 64 KiB.
constexpr std::size_t kChunkTakesTheBlock = limits::kChildReadChunkBytes / 4;

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
  const ssize_t n = read_some_now(pipe_.native_handle(), thread_read_buffer());
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return wait_readable();
  if (n <= 0) return sink_.on_output_end(*this);
  const auto size = static_cast<std::size_t>(n);
  if (size == limits::kChildReadChunkBytes && !pipe_growth_.settled()) {
    // A full read: the program writes faster than one read a turn takes.
    pipe_growth_ = pipe_growth_budget().grow(pipe_.native_handle(), limits::kBulkPipeBytes);
  }
  if (auto* chunk = std::get_if<Chunk>(&held_)) {
    hold_chunk(*chunk, size);
  } else {
    const std::string_view just_read(thread_read_buffer().data(), size);
    std::get<LineFramer>(held_).append(just_read);
    if (holds_no_complete_line(just_read)) return wait_readable();
  }
  sink_.on_output(*this);
}

void OutputPump::hold_chunk(Chunk& chunk, std::size_t size) {
  chunk.size = size;
  chunk.whole_block = size >= kChunkTakesTheBlock;
  if (chunk.whole_block) {
    chunk.bytes = take_thread_block();
  } else {
    chunk.bytes = std::make_unique_for_overwrite<char[]>(size);
    std::copy_n(thread_read_buffer().data(), size, chunk.bytes.get());
  }
  chunk_taken_ = false;
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
    Chunk& chunk = std::get<Chunk>(held_);
    if (chunk.whole_block) give_back_thread_block(std::move(chunk.bytes));
    chunk = Chunk();
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
