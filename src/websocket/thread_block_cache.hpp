#pragma once
// Blocks of memory for buffers that fill and empty in the same thread turn
// after turn: each thread keeps one spare block of each power-of-two size
// from 1 to 128 KiB (requests are rounded up; smaller and larger ones go
// straight to operator new), so a buffer that grows again to where it was takes
// its blocks back instead of asking malloc. The input batch (input_batch.hpp)
// uses it through ThreadCachedAllocator.
//
// Why: a batch's buffer grows by doubling as a pipelining client's messages
// join it and is given back between batches, so that an idle connection
// holds none. Given back to glibc, the batch's last block (32-64 KiB at the
// top of the worker's arena) made the arena shrink after every batch
// (heap_trim: madvise(MADV_DONTNEED), and a TLB shoot-down on the other
// core) and the next batch fault the pages in again: one madvise per batch,
// and about a tenth of the server's time for 1 KiB binary messages
// (docs/performance.md, "The input batch's memory, kept per thread").
//
// At most 255 KiB per thread that ever used it, freed when the thread
// ends. A block given back on another thread than the one it came from
// joins that thread's spares: memory is memory.
#include <cstddef>

namespace wsexec::thread_block_cache {

// At least `bytes`, from this thread's spares when one of the size is there.
void* take(std::size_t bytes);
// `bytes` as given to take().
void give_back(void* block, std::size_t bytes) noexcept;
// What this thread holds as spares now.
std::size_t spare_bytes() noexcept;

}  // namespace wsexec::thread_block_cache

namespace wsexec {

// A standard allocator over thread_block_cache, for Beast's flat_buffer.
// Stateless: any two are equal, and memory from one goes back through any.
template <typename T>
class ThreadCachedAllocator {
 public:
  using value_type = T;

  ThreadCachedAllocator() noexcept = default;
  template <typename U>
  ThreadCachedAllocator(const ThreadCachedAllocator<U>&) noexcept {}  // NOLINT: rebinding

  T* allocate(std::size_t count) {
    return static_cast<T*>(thread_block_cache::take(count * sizeof(T)));
  }
  void deallocate(T* block, std::size_t count) noexcept {
    thread_block_cache::give_back(block, count * sizeof(T));
  }

  template <typename U>
  friend bool operator==(const ThreadCachedAllocator&, const ThreadCachedAllocator<U>&) noexcept {
    return true;
  }
};

}  // namespace wsexec
