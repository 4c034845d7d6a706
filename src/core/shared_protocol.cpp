#include "core/shared_protocol.hpp"

#include <nlohmann/json.hpp>

namespace wsexec {

using nlohmann::json;
// Events keep their keys in the documented order ("event" first): easier
// to read in a log or a shell script than sorted keys.
using ordered_json = nlohmann::ordered_json;

namespace {

std::string as_line(const ordered_json& object) {
  // replace: a remote's or origin's stray byte must not make the line
  // invalid JSON (nor throw).
  std::string line = object.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  line.push_back('\n');
  return line;
}

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Close codes a server may send (RFC 6455 section 7.4): the defined ones
// that are meant to be sent, and the ranges for libraries and applications.
bool sendable_close_code(std::int64_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

// "data" or "data_base64" of a send command.
bool read_payload(const json& object, SendCommand& send, std::string& error) {
  const auto text = object.find("data");
  const auto encoded = object.find("data_base64");
  if ((text == object.end()) == (encoded == object.end())) {
    error = "a message needs exactly one of \"data\" and \"data_base64\"";
    return false;
  }
  if (text != object.end()) {
    if (!text->is_string()) {
      error = "\"data\" must be a string";
      return false;
    }
    send.data = text->get<std::string>();
    return true;
  }
  if (!encoded->is_string() || !base64_decode(encoded->get<std::string>(), send.data)) {
    error = "\"data_base64\" must be a base64 string";
    return false;
  }
  send.binary = true;
  return true;
}

bool read_recipients(const json& to, SendCommand& send, std::string& error) {
  send.to_everyone = false;
  if (to.is_string()) {
    send.to.push_back(to.get<std::string>());
    return true;
  }
  if (to.is_array()) {
    for (const json& id : to) {
      if (!id.is_string()) break;
      send.to.push_back(id.get<std::string>());
    }
    if (send.to.size() == to.size()) return true;
  }
  error = "\"to\" must be an id or a list of ids";
  return false;
}

ProgramCommand parse_close(const json& object) {
  CloseCommand close;
  if (!object["close"].is_string()) return ProtocolError{"\"close\" must be a client id"};
  close.id = object["close"].get<std::string>();
  if (auto code = object.find("code"); code != object.end()) {
    if (!code->is_number_integer() || !sendable_close_code(code->get<std::int64_t>())) {
      return ProtocolError{"\"code\" must be 1000 or a close code from 3000 to 4999"};
    }
    close.code = static_cast<std::uint16_t>(code->get<std::int64_t>());
  }
  if (auto reason = object.find("reason"); reason != object.end()) {
    // A close frame has room for 123 bytes of reason.
    if (!reason->is_string() || reason->get<std::string>().size() > 123) {
      return ProtocolError{"\"reason\" must be a string of at most 123 bytes"};
    }
    close.reason = reason->get<std::string>();
  }
  return close;
}

}  // namespace

std::string open_event(const ClientFacts& client) {
  return as_line({{"event", "open"},
                  {"id", client.id},
                  {"remote", client.remote},
                  {"url", client.url},
                  {"origin", client.origin}});
}

std::string message_event(std::string_view id, std::string_view payload, bool binary) {
  ordered_json event = {{"event", "message"}, {"id", id}};
  if (binary) {
    event["data_base64"] = base64_encode(payload);
  } else {
    event["data"] = payload;
  }
  return as_line(event);
}

std::string close_event(std::string_view id, std::uint16_t code) {
  return as_line({{"event", "close"}, {"id", id}, {"code", code}});
}

ProgramCommand parse_program_line(std::string_view line) {
  const json object = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) return ProtocolError{"not a JSON line"};
  if (!object.is_object()) return ProtocolError{"not a JSON object"};
  if (object.contains("close")) return parse_close(object);
  SendCommand send;
  std::string error;
  if (!read_payload(object, send, error)) return ProtocolError{error};
  if (auto to = object.find("to"); to != object.end() && !read_recipients(*to, send, error)) {
    return ProtocolError{error};
  }
  return send;
}

std::string base64_encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned group = static_cast<unsigned char>(bytes[i]) << 16 |
                           static_cast<unsigned char>(bytes[i + 1]) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) text.push_back(kAlphabet[(group >> shift) & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned group = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    text.push_back(kAlphabet[(group >> 18) & 63]);
    text.push_back(kAlphabet[(group >> 12) & 63]);
    text.push_back(rest == 2 ? kAlphabet[(group >> 6) & 63] : '=');
    text.push_back('=');
  }
  return text;
}

bool base64_decode(std::string_view text, std::string& bytes) {
  if (text.size() % 4 != 0) return false;
  bytes.clear();
  unsigned group = 0;
  int bits = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') {
      if (i + 2 < text.size()) return false;  // padding only at the very end
      ++padding;
      continue;
    }
    if (padding > 0) return false;
    const auto value = kAlphabet.find(c);
    if (value == std::string_view::npos) return false;
    group = group << 6 | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<char>((group >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace wsexec
