// A --pty client's text messages and URL queries: whatever a client sends,
// a size stays within its bounds, and text that is not a control message is
// typed exactly as sent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/limits.hpp"
#include "core/terminal_message.hpp"
#include "core/terminal_session.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

void check_size(const TerminalSize& size) {
  FUZZ_CHECK(size.columns >= 1 && size.columns <= limits::kMaxTerminalSide);
  FUZZ_CHECK(size.rows >= 1 && size.rows <= limits::kMaxTerminalSide);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const TerminalMessage message = read_terminal_message(text);
  switch (message.kind) {
    case TerminalMessage::Kind::resize:
      check_size(message.size);
      break;
    case TerminalMessage::Kind::refused:
      FUZZ_CHECK(!message.problem.empty());
      break;
    case TerminalMessage::Kind::input:
      // Decoded "data" of an input message, or the text itself.
      FUZZ_CHECK(message.input == text || text.find("\"input\"") != std::string_view::npos ||
                 text.find("\\u") != std::string_view::npos);
      break;
  }
  check_size(terminal_size_from_query(text));
  return 0;
}
