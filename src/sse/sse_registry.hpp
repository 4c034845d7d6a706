#pragma once
// The live SSE sessions of the server, by token. A POST or a resume may
// arrive on any worker, so this is the one place they meet: locked, and
// held only for a lookup. The session adds itself when its program runs and
// removes itself when it ends (both on its own thread).
//
// Tokens are compared in constant time (CRYPTO_memcmp) and looked up by a
// hash of the whole token, so how long a wrong guess takes tells nothing
// about how many of its digits were right.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sse/sse_session_ref.hpp"

namespace wsexec {

class SseRegistry {
 public:
  void add(const std::string& token, std::shared_ptr<SseSession> session);
  void remove(const std::string& token);
  // An empty reference when no live session has this token.
  SseSessionRef find(std::string_view token) const;
  std::size_t size() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<SseSession>>;
  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<Entry>> by_hash_;
  std::size_t size_ = 0;
};

}  // namespace wsexec
