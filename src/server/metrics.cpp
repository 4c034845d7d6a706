#include "server/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace wsexec::metrics {
namespace {

// HTTP statuses are three digits; one slot each keeps a response one store.
constexpr unsigned kFirstStatus = 100;
constexpr unsigned kStatusSlots = 500;

// A counter that only its owning thread writes; any thread may read it.
class OwnedCounter {
 public:
  void add(std::uint64_t amount) {
    value_.store(value_.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
  }
  std::uint64_t read() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

template <std::size_t Bounds>
struct OwnedHistogram {
  std::array<OwnedCounter, Bounds + 1> buckets;
  OwnedCounter sum_nanoseconds;

  void observe(std::size_t bucket, std::chrono::steady_clock::duration took) {
    buckets[bucket].add(1);
    sum_nanoseconds.add(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(took).count()));
  }
  void add_to(HistogramCounts<Bounds>& total) const {
    for (std::size_t i = 0; i < buckets.size(); ++i) total.buckets[i] += buckets[i].read();
    total.sum_seconds += static_cast<double>(sum_nanoseconds.read()) / 1e9;
  }
};

struct CounterBlock {
  std::array<OwnedCounter, kSessionKinds> sessions_started;
  std::array<OwnedCounter, kSessionKinds> sessions_ended;
  std::array<OwnedHistogram<kSessionBucketBounds.size()>, kSessionKinds> session_length;
  OwnedCounter spawns;
  OwnedCounter spawn_failures;
  OwnedHistogram<kSpawnBucketBounds.size()> spawn_time;
  OwnedCounter messages_to_program;
  OwnedCounter bytes_to_program;
  OwnedCounter messages_to_client;
  OwnedCounter bytes_to_client;
  std::array<OwnedCounter, kStatusSlots> responses;
  std::array<OwnedCounter, kRefusalReasons> refusals;
  OwnedCounter tls_handshake_failures;
};

// Every thread's block. The mutex is taken once per thread (its first
// count) and once per scrape, never per count.
struct Registry {
  std::mutex mutex;
  std::deque<CounterBlock> blocks;  // deque: a block never moves once handed out
};

Registry& registry() {
  static Registry* const instance = new Registry;  // never destroyed: threads may count late
  return *instance;
}

CounterBlock& my_block() {
  thread_local CounterBlock* block = [] {
    Registry& all = registry();
    std::lock_guard lock(all.mutex);
    return &all.blocks.emplace_back();
  }();
  return *block;
}

double seconds_of(std::chrono::steady_clock::duration took) {
  return std::chrono::duration<double>(took).count();
}

// Entries of /proc/self/fd, less the one the listing itself holds open.
std::optional<std::uint64_t> open_descriptors() {
  std::error_code error;
  std::filesystem::directory_iterator entries("/proc/self/fd", error);
  if (error) return std::nullopt;
  std::uint64_t count = 0;
  for (const auto& entry : entries) {
    (void)entry;
    ++count;
  }
  return count > 0 ? count - 1 : 0;
}

std::optional<std::uint64_t> descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

// The second field of /proc/self/statm is the resident set, in pages.
std::optional<std::uint64_t> resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return std::nullopt;
  return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

SessionMeter::SessionMeter(SessionKind kind)
    : kind_(kind), started_(std::chrono::steady_clock::now()) {
  my_block().sessions_started[static_cast<std::size_t>(kind_)].add(1);
}

SessionMeter::~SessionMeter() {
  const auto took = std::chrono::steady_clock::now() - started_;
  CounterBlock& block = my_block();
  const auto kind = static_cast<std::size_t>(kind_);
  block.sessions_ended[kind].add(1);
  block.session_length[kind].observe(session_bucket_for(seconds_of(took)), took);
}

void spawned(std::chrono::steady_clock::duration took, bool succeeded) {
  CounterBlock& block = my_block();
  block.spawns.add(1);
  if (!succeeded) block.spawn_failures.add(1);
  block.spawn_time.observe(spawn_bucket_for(seconds_of(took)), took);
}

void message_to_program(std::size_t bytes) {
  CounterBlock& block = my_block();
  block.messages_to_program.add(1);
  block.bytes_to_program.add(bytes);
}

void message_to_client(std::size_t bytes) {
  CounterBlock& block = my_block();
  block.messages_to_client.add(1);
  block.bytes_to_client.add(bytes);
}

void responded(unsigned status) {
  if (status < kFirstStatus || status >= kFirstStatus + kStatusSlots) return;
  my_block().responses[status - kFirstStatus].add(1);
}

void refused(RefusalReason reason) {
  my_block().refusals[static_cast<std::size_t>(reason)].add(1);
}

void tls_handshake_failed() {
  my_block().tls_handshake_failures.add(1);
}

MetricsSnapshot collect(unsigned live_programs) {
  MetricsSnapshot total;
  total.live_programs = live_programs;
  {
    Registry& all = registry();
    std::lock_guard lock(all.mutex);
    for (const CounterBlock& block : all.blocks) {
      for (std::size_t kind = 0; kind < kSessionKinds; ++kind) {
        total.sessions_started[kind] += block.sessions_started[kind].read();
        total.sessions_ended[kind] += block.sessions_ended[kind].read();
        block.session_length[kind].add_to(total.session_seconds[kind]);
      }
      total.spawns += block.spawns.read();
      total.spawn_failures += block.spawn_failures.read();
      block.spawn_time.add_to(total.spawn_seconds);
      total.messages_to_program += block.messages_to_program.read();
      total.bytes_to_program += block.bytes_to_program.read();
      total.messages_to_client += block.messages_to_client.read();
      total.bytes_to_client += block.bytes_to_client.read();
      for (unsigned slot = 0; slot < kStatusSlots; ++slot) {
        if (const auto count = block.responses[slot].read()) {
          total.responses_by_status[kFirstStatus + slot] += count;
        }
      }
      for (std::size_t reason = 0; reason < kRefusalReasons; ++reason) {
        total.refusals[reason] += block.refusals[reason].read();
      }
      total.tls_handshake_failures += block.tls_handshake_failures.read();
    }
  }
  total.open_descriptors = open_descriptors();
  total.max_descriptors = descriptor_limit();
  total.resident_bytes = resident_bytes();
  return total;
}

}  // namespace wsexec::metrics
