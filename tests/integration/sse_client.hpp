// A test client of the SSE transport (docs/sse-protocol.md): opens the
// event stream on a raw connection, decodes the chunked body as it arrives
// and splits it into events, each read with a deadline. Written against
// the wire format, not the server's code, so it checks what a browser's
// EventSource would see.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_request.hpp"

namespace wsexec_test {

struct SseEvent {
  std::string name = "message";  // "event:" field, "message" without one
  std::optional<std::string> id;
  std::string data;  // the data lines joined with "\n", as EventSource does
  bool comment = false;
};

class SseTestStream {
 public:
  // Sends the GET; `extra` headers after Accept.
  SseTestStream(std::uint16_t port, const std::string& target,
                std::vector<std::pair<std::string, std::string>> extra = {}) {
    connection_ = PlainHttpConnection::tcp("127.0.0.1", port);
    PlainHttpRequest request;
    request.target = target;
    request.headers = {{"Accept", "text/event-stream"}};
    for (auto& header : extra) request.headers.push_back(std::move(header));
    request.keep_alive = true;
    connection_->send_raw(connection_->serialize(request));
    head_ = connection_->read_raw_until("\r\n\r\n", std::chrono::seconds(10));
    const auto end = head_.find("\r\n\r\n");
    if (end != std::string::npos) {
      raw_ = head_.substr(end + 4);
      head_.resize(end + 4);
    }
  }

  const std::string& head() const { return head_; }
  int status() const {
    std::smatch match;
    static const std::regex status_line(R"(^HTTP/1\.\d (\d{3}))");
    return std::regex_search(head_, match, status_line) ? std::stoi(match[1]) : 0;
  }

  // The next event (comments included when `comments`), or nullopt at the
  // deadline or the end of the stream.
  std::optional<SseEvent> next(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                               bool comments = false) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      decode_chunks();
      const auto end = body_.find("\n\n");
      if (end != std::string::npos) {
        const std::string block = body_.substr(0, end + 1);
        body_.erase(0, end + 2);
        SseEvent event = parse(block);
        if (event.comment && !comments) continue;
        return event;
      }
      if (ended_) return std::nullopt;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      std::string more = connection_->read_raw_until("\n", left);
      if (more.empty()) {
        ended_ = connection_->peer_closed();
        if (!ended_) return std::nullopt;
      }
      raw_ += more;
    }
  }

  // The chunked body ended with its last chunk (the response is complete).
  bool saw_last_chunk() const { return last_chunk_; }
  void close() { connection_->close(); }
  PlainHttpConnection& connection() { return *connection_; }

 private:
  static SseEvent parse(const std::string& block) {
    SseEvent event;
    bool first_data = true;
    std::size_t start = 0;
    while (start < block.size()) {
      const auto end = block.find('\n', start);
      const std::string line = block.substr(start, end - start);
      start = end + 1;
      if (line.rfind(":", 0) == 0) {
        event.comment = true;
        event.data = line;
      } else if (line.rfind("event: ", 0) == 0) {
        event.name = line.substr(7);
      } else if (line.rfind("id: ", 0) == 0) {
        event.id = line.substr(4);
      } else if (line.rfind("data: ", 0) == 0) {
        if (!first_data) event.data += "\n";
        event.data += line.substr(6);
        first_data = false;
      } else {
        ADD_FAILURE() << "unexpected line in an event: " << line;
      }
    }
    return event;
  }

  // Moves whole chunks from raw_ to body_.
  void decode_chunks() {
    for (;;) {
      const auto line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) return;
      const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (size == 0) {
        last_chunk_ = true;
        ended_ = true;
        raw_.clear();
        return;
      }
      if (raw_.size() < line_end + 2 + size + 2) return;
      body_ += raw_.substr(line_end + 2, size);
      raw_.erase(0, line_end + 2 + size + 2);
    }
  }

  std::unique_ptr<PlainHttpConnection> connection_;
  std::string head_;
  std::string raw_;   // chunked bytes not yet decoded
  std::string body_;  // decoded, not yet split into events
  bool ended_ = false;
  bool last_chunk_ = false;
};

// What the first event of a new session says: its token and where to POST.
struct Session {
  std::string token;
  std::string post_url;
};

// Reads the session event (id 0) that opens every new stream.
inline Session session_of(SseTestStream& stream) {
  auto event = stream.next();
  if (!event || event->name != "session") {
    ADD_FAILURE() << "no session event; head: " << stream.head();
    return {};
  }
  EXPECT_EQ(event->id.value_or(""), "0");
  const auto data = nlohmann::json::parse(event->data);
  return {data["token"], data["post"]};
}

}  // namespace wsexec_test
