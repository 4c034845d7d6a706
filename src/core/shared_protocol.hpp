#pragma once
// The protocol of --shared=addressed (docs/shared.md): JSON Lines both
// ways, so one program can tell its clients apart. Pure, and the only
// translation unit that includes the JSON library (nlohmann-json).
//
// To the program, one line per event:
//   {"event":"open","id":"…","remote":"…","url":"…","origin":"…"}
//   {"event":"message","id":"…","data":"…"}   ("data_base64" in binary mode)
//   {"event":"close","id":"…","code":1000}
// From the program, one line per command:
//   {"data":"…"}                     to every client
//   {"to":"ID","data":"…"}           to one
//   {"to":["ID",…],"data":"…"}       to some ("data_base64" in binary mode)
//   {"close":"ID","code":4000,"reason":"…"}   disconnect one (code, reason optional)
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wsexec {

struct ClientFacts {
  std::string id;
  std::string remote;
  std::string url;
  std::string origin;
};

// Each returns one line, "\n" included. Bytes that are not UTF-8 in the
// facts are replaced (U+FFFD), so a line is always valid JSON.
std::string open_event(const ClientFacts& client);
std::string message_event(std::string_view id, std::string_view payload, bool binary);
std::string close_event(std::string_view id, std::uint16_t code);

struct SendCommand {
  bool to_everyone = true;
  std::vector<std::string> to;  // client ids, when not to everyone
  std::string data;             // decoded from data_base64 when the program sent that
  bool binary = false;          // came as data_base64
};

struct CloseCommand {
  std::string id;
  std::uint16_t code = 1000;
  std::string reason;
};

struct ProtocolError {
  std::string what;  // one sentence for the log
};

using ProgramCommand = std::variant<SendCommand, CloseCommand, ProtocolError>;

// One line of the program's output (without its "\n").
ProgramCommand parse_program_line(std::string_view line);

// RFC 4648 base64, for binary payloads inside JSON strings.
std::string base64_encode(std::string_view bytes);
// Nullopt-like: false when `text` is not canonical base64.
bool base64_decode(std::string_view text, std::string& bytes);

}  // namespace wsexec
