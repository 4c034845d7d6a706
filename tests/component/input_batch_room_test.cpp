// InputBatch::make_room_for (input_batch.hpp): once told how much of the
// client's batch is read ahead, the buffer holds it all without growing
// again (no reallocation, no copy of what is kept), and never sets aside
// more than a batch's bound.
#include <gtest/gtest.h>
#include <cstring>

#include "core/limits.hpp"
#include "websocket/input_batch.hpp"

namespace wsexec {
namespace {

void read_message(InputBatch& batch, std::size_t size) {
  auto room = batch.buffer().prepare(size);
  std::memset(room.data(), 'm', size);
  batch.buffer().commit(size);
  batch.keep_message(/*newline=*/false);
}

TEST(InputBatchRoom, TheRestOfABatchReadAheadJoinsWithoutTheBufferMoving) {
  InputBatch batch;
  read_message(batch, 1024);
  batch.make_room_for(31 * (1024 + 8));  // 31 more 1 KiB frames with their headers
  const void* block = batch.buffer().cdata().data();
  for (int i = 0; i < 31; ++i) read_message(batch, 1024);
  EXPECT_EQ(batch.buffer().cdata().data(), block) << "the buffer grew again";
  EXPECT_EQ(batch.unhanded().size(), 32u * 1024);
}

// Room asked for in a size that is no power of two is still the whole
// block: the batch goes on to its bound without growing again.
TEST(InputBatchRoom, RoomForAnOddSizeHoldsTheBatchUpToItsBound) {
  InputBatch batch;
  read_message(batch, 1024);
  batch.make_room_for(59 * (1024 + 6));  // 61 KiB with the first message
  const void* block = batch.buffer().cdata().data();
  while (batch.unhanded().size() < limits::kStdinQueueHighWater) read_message(batch, 1024);
  EXPECT_EQ(batch.buffer().cdata().data(), block) << "the buffer grew again";
}

TEST(InputBatchRoom, SetsAsideNoMoreThanABatchsBound) {
  InputBatch batch;
  read_message(batch, 1024);
  batch.make_room_for(4 * limits::kStdinQueueHighWater);
  EXPECT_GE(batch.buffer().capacity(), limits::kStdinQueueHighWater);
  EXPECT_LT(batch.buffer().capacity(), 2 * limits::kStdinQueueHighWater);
}

}  // namespace
}  // namespace wsexec
