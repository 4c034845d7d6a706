#include "websocket/thread_block_cache.hpp"

#include <array>
#include <bit>
#include <new>

namespace wsexec::thread_block_cache {
namespace {

constexpr std::size_t kSmallestBlock = 1024;
// A batch is handed over once it holds 64 KiB (kStdinQueueHighWater), and
// Beast grows a buffer to twice what it holds: a batch of messages of up to
// 64 KiB each stays within 128 KiB. A larger message goes to operator new.
constexpr std::size_t kLargestBlock = 128 * 1024;
constexpr int kSizes = std::countr_zero(kLargestBlock) - std::countr_zero(kSmallestBlock) + 1;

// The size a request is served with, rounded up; 0 when it is not kept
// (it goes straight to operator new and back, at its own size). Not under
// 1 KiB: an idle connection's buffer waits for the next message with 256
// bytes set aside, and rounding that up cost every idle connection 0.75 KiB
// (wsbench hold, 1,000 connections).
std::size_t block_size(std::size_t bytes) {
  if (bytes < kSmallestBlock) return 0;
  const std::size_t rounded = std::bit_ceil(bytes);
  return rounded <= kLargestBlock ? rounded : 0;
}

int slot_of(std::size_t block) {
  return std::countr_zero(block) - std::countr_zero(kSmallestBlock);
}

struct Spares {
  std::array<void*, kSizes> blocks{};
  ~Spares() {
    for (void* block : blocks) ::operator delete(block);
  }
};

Spares& spares() {
  thread_local Spares thread_spares;
  return thread_spares;
}

}  // namespace

void* take(std::size_t bytes) {
  const std::size_t block = block_size(bytes);
  if (block == 0) return ::operator new(bytes);
  void*& spare = spares().blocks[slot_of(block)];
  if (spare == nullptr) return ::operator new(block);
  void* taken = spare;
  spare = nullptr;
  return taken;
}

void give_back(void* block, std::size_t bytes) noexcept {
  const std::size_t size = block_size(bytes);
  if (size == 0) return ::operator delete(block);
  void*& spare = spares().blocks[slot_of(size)];
  if (spare != nullptr) return ::operator delete(block);  // one spare of each size is enough
  spare = block;
}

std::size_t spare_bytes() noexcept {
  std::size_t bytes = 0;
  for (int slot = 0; slot < kSizes; ++slot) {
    if (spares().blocks[slot] != nullptr) bytes += kSmallestBlock << slot;
  }
  return bytes;
}

}  // namespace wsexec::thread_block_cache
