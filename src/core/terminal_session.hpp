#pragma once
// What a WebSocket session's program gets when it runs on a pseudo-terminal
// (--unbuffered, --pty): its size from the URL and its TERM. Pure.
#include <string>
#include <string_view>
#include <vector>

namespace wsexec {

enum class TerminalMode {
  none,         // stdin, stdout and stderr are pipes (websocketd's way)
  stdout_only,  // --unbuffered: stdout on a raw terminal, so stdio flushes each line
  session,      // --pty: a terminal session, all three on the terminal
};

struct TerminalSize {
  unsigned columns = 0;
  unsigned rows = 0;
  friend bool operator==(const TerminalSize&, const TerminalSize&) = default;
};

// Each side cut to 1..limits::kMaxTerminalSide.
TerminalSize bounded_terminal_size(unsigned long long columns, unsigned long long rows);

// The size asked for by a request's query ("cols=120&rows=40"): a side
// missing or not a decimal number takes its default (80 x 24); a side out of
// range is bounded as above. The last occurrence of a name counts.
TerminalSize terminal_size_from_query(std::string_view query);

// Sets TERM in `environment` ("NAME=value" entries, sorted by name): "dumb"
// for stdout_only (a program must not colour what goes to a WebSocket),
// "xterm-256color" for a session unless the environment already has a TERM
// (one passed on by --passenv: the caller knows their terminal best).
void set_terminal_type(std::vector<std::string>& environment, TerminalMode mode);

}  // namespace wsexec
