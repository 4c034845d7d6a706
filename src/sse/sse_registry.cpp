#include "sse/sse_registry.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <functional>

namespace wsexec {
namespace {

bool same_token(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::size_t hash_of(std::string_view token) {
  return std::hash<std::string_view>{}(token);
}

}  // namespace

void SseRegistry::add(const std::string& token, std::shared_ptr<SseSession> session) {
  const std::lock_guard lock(mutex_);
  by_hash_[hash_of(token)].emplace_back(token, std::move(session));
  ++size_;
}

void SseRegistry::remove(const std::string& token) {
  std::shared_ptr<SseSession> removed;  // released after the lock, on the caller's thread
  {
    const std::lock_guard lock(mutex_);
    const auto bucket = by_hash_.find(hash_of(token));
    if (bucket == by_hash_.end()) return;
    auto& entries = bucket->second;
    const auto entry = std::find_if(entries.begin(), entries.end(),
                                    [&](const Entry& e) { return same_token(e.first, token); });
    if (entry == entries.end()) return;
    removed = std::move(entry->second);
    entries.erase(entry);
    if (entries.empty()) by_hash_.erase(bucket);
    --size_;
  }
}

SseSessionRef SseRegistry::find(std::string_view token) const {
  const std::lock_guard lock(mutex_);
  const auto bucket = by_hash_.find(hash_of(token));
  if (bucket == by_hash_.end()) return {};
  for (const Entry& entry : bucket->second) {
    if (same_token(entry.first, token)) return SseSessionRef(entry.second);
  }
  return {};
}

std::size_t SseRegistry::size() const {
  const std::lock_guard lock(mutex_);
  return size_;
}

}  // namespace wsexec
