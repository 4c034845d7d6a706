#pragma once
// A session held from another thread than its own (a POST's, a resumed
// stream's, the registry's lookup). The session's Asio objects belong to
// its worker, so it must be destroyed there: the last reference dropped
// elsewhere is handed to the session's executor instead of destroying it
// on the spot.
#include <memory>

namespace wsexec {

class SseSession;

class SseSessionRef {
 public:
  SseSessionRef() = default;
  explicit SseSessionRef(std::shared_ptr<SseSession> session) : session_(std::move(session)) {}
  SseSessionRef(SseSessionRef&&) noexcept = default;
  SseSessionRef& operator=(SseSessionRef&& other) noexcept {
    if (this != &other) {
      release();
      session_ = std::move(other.session_);
    }
    return *this;
  }
  SseSessionRef(const SseSessionRef&) = delete;
  SseSessionRef& operator=(const SseSessionRef&) = delete;
  ~SseSessionRef() { release(); }

  explicit operator bool() const { return session_ != nullptr; }
  SseSession* operator->() const { return session_.get(); }
  SseSession& operator*() const { return *session_; }

 private:
  void release();  // sse_session.cpp

  std::shared_ptr<SseSession> session_;
};

}  // namespace wsexec
