#pragma once
// A client's text message to a --pty session, read. Pure (nlohmann-json
// stays in the .cpp: it is slow to compile).
//
// Two JSON control messages: {"type":"resize","cols":C,"rows":R} and
// {"type":"input","data":"..."}. Any other text, JSON or not, is typed as
// it is, so a plain WebSocket client can type too. A control message that
// names its type but is malformed (a resize without numbers) is refused
// rather than typed: a shell receiving '{"type":"resize"...' as keystrokes
// would only be confused.
#include <string>
#include <string_view>

#include "core/terminal_session.hpp"

namespace wsexec {

struct TerminalMessage {
  enum class Kind {
    input,    // `input` goes to the terminal
    resize,   // `size` is the new window size (bounded)
    refused,  // `problem` says why; nothing is done
  };
  Kind kind = Kind::input;
  std::string input;
  TerminalSize size;
  std::string problem;
};

TerminalMessage read_terminal_message(std::string_view text);

}  // namespace wsexec
