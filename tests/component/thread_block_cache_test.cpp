// The thread's spare blocks (thread_block_cache.hpp): a block given back is
// what the next request of its size class gets, on the same thread; sizes
// are rounded up to a power of two from 1 KiB, smaller ones not kept;
// blocks over 128 KiB are not kept; and an input batch's buffer that grows
// again takes the blocks the last one gave back.
#include "websocket/thread_block_cache.hpp"

#include <gtest/gtest.h>
#include <boost/beast/core/flat_buffer.hpp>
#include <cstring>
#include <thread>

namespace wsexec {
namespace {

TEST(ThreadBlockCache, ABlockGivenBackIsTheNextOfItsSize) {
  void* first = thread_block_cache::take(3000);
  std::memset(first, 'x', 4096);  // rounded up to 4 KiB: all of it is ours
  thread_block_cache::give_back(first, 3000);
  void* again = thread_block_cache::take(4096);  // the same size class
  EXPECT_EQ(again, first);
  void* other = thread_block_cache::take(4096);  // no spare left of that size
  EXPECT_NE(other, first);
  thread_block_cache::give_back(again, 4096);
  thread_block_cache::give_back(other, 4096);  // one spare per size: this one is freed
  EXPECT_EQ(thread_block_cache::take(4000), again);
  thread_block_cache::give_back(again, 4000);
}

TEST(ThreadBlockCache, SizesAreKeptApart) {
  void* small = thread_block_cache::take(1024);
  void* large = thread_block_cache::take(64 * 1024);
  thread_block_cache::give_back(small, 1024);
  thread_block_cache::give_back(large, 64 * 1024);
  void* large_again = thread_block_cache::take(40 * 1024);
  void* small_again = thread_block_cache::take(1024);
  EXPECT_EQ(large_again, large);
  EXPECT_EQ(small_again, small);
  thread_block_cache::give_back(large_again, 40 * 1024);
  thread_block_cache::give_back(small_again, 1024);
}

// An idle connection's buffer (256 bytes set aside for the next message)
// costs its own size, not a rounded-up block.
TEST(ThreadBlockCache, RequestsUnderOneKibAreNotKept) {
  const std::size_t before = thread_block_cache::spare_bytes();
  thread_block_cache::give_back(thread_block_cache::take(256), 256);
  EXPECT_EQ(thread_block_cache::spare_bytes(), before);
  thread_block_cache::give_back(thread_block_cache::take(200 * 1024),
                                200 * 1024);  // nor over 128 KiB
  EXPECT_EQ(thread_block_cache::spare_bytes(), before);
}

TEST(ThreadBlockCache, AThreadKeepsOneSpareOfEachSizeAtMost) {
  std::thread other([] {
    for (int round = 0; round < 3; ++round) {
      void* blocks[2] = {thread_block_cache::take(1024), thread_block_cache::take(64 * 1024)};
      void* more[2] = {thread_block_cache::take(1024), thread_block_cache::take(64 * 1024)};
      thread_block_cache::give_back(blocks[0], 1024);
      thread_block_cache::give_back(blocks[1], 64 * 1024);
      thread_block_cache::give_back(more[0], 1024);
      thread_block_cache::give_back(more[1], 64 * 1024);
    }
    EXPECT_EQ(thread_block_cache::spare_bytes(), 65u * 1024);
  });
  other.join();
}

TEST(ThreadBlockCache, SparesBelongToTheirThread) {
  void* mine = thread_block_cache::take(2048);
  thread_block_cache::give_back(mine, 2048);
  void* theirs = nullptr;
  std::thread other([&] {
    theirs = thread_block_cache::take(2048);
    thread_block_cache::give_back(theirs, 2048);  // freed with the thread
  });
  other.join();
  EXPECT_NE(theirs, mine);
  void* again = thread_block_cache::take(2048);
  EXPECT_EQ(again, mine);
  thread_block_cache::give_back(again, 2048);
}

TEST(ThreadBlockCache, AGrowingBufferTakesBackTheBlocksTheLastOneGave) {
  using Buffer = boost::beast::basic_flat_buffer<ThreadCachedAllocator<char>>;
  const auto fill = [](Buffer& buffer) {
    for (int i = 0; i < 32; ++i) {  // 32 messages of 1 KiB, as a pipelined batch
      auto room = buffer.prepare(1024);
      std::memset(room.data(), 'a' + i % 26, 1024);
      buffer.commit(1024);
    }
    return buffer.cdata().data();
  };
  const void* first_block = nullptr;
  {
    Buffer batch;
    first_block = fill(batch);
  }
  Buffer next;
  EXPECT_EQ(fill(next), first_block);
  EXPECT_EQ(next.size(), 32u * 1024);
}

}  // namespace
}  // namespace wsexec
