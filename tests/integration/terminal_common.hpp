// Helpers for the --unbuffered and --pty tests: a terminal's output keeps
// no message boundaries, so tests gather it until what they wait for shows.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "harness.hpp"

namespace wsexec_test {

// Every message (binary or text) until `wanted` is in what arrived, the
// connection ends or `timeout` passes. Returns all that arrived.
inline std::string gather_until(WsClient& client, std::string_view wanted,
                                Millis timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string gathered;
  while (gathered.find(wanted) == std::string::npos) {
    const auto left =
        std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    const WsEvent event = client.read(left);
    if (!event.is_message()) break;
    gathered += event.data;
  }
  return gathered;
}

// Every byte of a connection's messages until it ends (or `timeout`), and
// whether each message was binary.
struct Gathered {
  std::string bytes;
  bool all_binary = true;
  WsEvent end;
};

inline Gathered gather_to_end(WsClient& client, Millis timeout = 10000ms) {
  const Transcript transcript = client.read_until_end(timeout);
  Gathered gathered;
  for (const WsEvent& message : transcript.messages) {
    gathered.bytes += message.data;
    gathered.all_binary &= message.kind == EventKind::binary;
  }
  gathered.end = transcript.end;
  return gathered;
}

// "1\n2\n...\nN\n" with each "\n" as `newline`: what `seq 1 N` prints.
inline std::string seq_output(int count, std::string_view newline) {
  std::string expected;
  for (int i = 1; i <= count; ++i) expected.append(std::to_string(i)).append(newline);
  return expected;
}

}  // namespace wsexec_test
