#pragma once
// The client's messages on their way to the child's stdin, collected in the
// buffer Beast reads them into while more of the same pipelined batch has
// already been read from the socket (ReadAhead), then handed to the
// StdinFeeder in one piece.
//
// Why: the feeder writes once the client side has been quiet for one turn
// of the event loop. A 64-byte message takes Beast one turn, but a 1 KiB
// one takes several (its header and payload are read in pieces), so the
// feeder saw "quiet" after every message or two and wrote 1-2 KiB at a
// time: one wake-up of the child, one read of its output and one message
// to the client per write (perf trace, docs/performance.md). Collected
// here, a batch leaves in one write whatever its messages' size.
//
// Never held back waiting on the client: when the next message is not all
// read yet and the socket must be read again, what is kept so far is
// handed over first (see the session's hand_kept_input_now), so a message
// never waits for a slow one behind it.
//
// Bounded: a batch stops growing at limits::kStdinQueueHighWater. Between
// batches the buffer is given back, so an idle connection holds none: to
// its thread's spare blocks (thread_block_cache.hpp), which the next batch
// of any connection on the thread takes again.
#include <algorithm>
#include <bit>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstddef>
#include <string_view>

#include "core/limits.hpp"
#include "websocket/thread_block_cache.hpp"

namespace wsexec {

class InputBatch {
 public:
  using Buffer = boost::beast::basic_flat_buffer<ThreadCachedAllocator<char>>;

  // Where Beast reads the next message: after the messages kept so far.
  Buffer& buffer() noexcept { return buffer_; }

  // The message just read joins the batch, with "\n" after it when
  // `newline` (text mode). Returns the message's size, without the "\n".
  std::size_t keep_message(bool newline) {
    const std::size_t size = buffer_.size() - kept_;
    if (newline) {
      auto room = buffer_.prepare(1);
      *static_cast<char*>(room.data()) = '\n';
      buffer_.commit(1);
    }
    kept_ = buffer_.size();
    return size;
  }

  // Whether the next message should join this batch before it is handed
  // over: more of the client's batch is already here and there is room.
  bool should_wait_for_more(bool more_already_read) const noexcept {
    return more_already_read && kept_ < limits::kStdinQueueHighWater;
  }

  // `bytes` of the client's batch are read ahead already: room for their
  // payloads now, in one block (up to a batch's bound), rather than by
  // doubling as each message joins, each doubling a copy of what is kept.
  // Asked for as the whole block the allocator gives (a power of two): the
  // buffer only knows the size it asked for, and one that asked for 61 KiB
  // doubled to 122 KiB when the batch went on to 64 KiB (a copy, and a
  // block the thread's cache did not keep).
  void make_room_for(std::size_t bytes) {
    const std::size_t wanted =
        std::bit_ceil(std::min(buffer_.size() + bytes, limits::kStdinQueueHighWater));
    if (wanted > buffer_.capacity()) buffer_.reserve(wanted);
  }

  // The messages kept and not handed over yet; a message of the other type
  // read after them, which is ignored, is not part of it.
  std::string_view unhanded() const noexcept {
    return {static_cast<const char*>(buffer_.cdata().data()) + handed_, kept_ - handed_};
  }
  // What unhanded() showed was handed over; the bytes stay where they are,
  // since Beast may be reading into the buffer behind them.
  void mark_handed() noexcept { handed_ = kept_; }

  // Empties the batch and gives its memory back.
  void clear() {
    buffer_ = Buffer();
    kept_ = 0;
    handed_ = 0;
  }

 private:
  Buffer buffer_;
  std::size_t kept_ = 0;    // bytes at the start of buffer_ that are whole messages of the batch
  std::size_t handed_ = 0;  // of those, the bytes already handed over
};

}  // namespace wsexec
