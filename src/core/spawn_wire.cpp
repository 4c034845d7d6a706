#include "core/spawn_wire.hpp"

#include <cstring>

namespace wsexec {
namespace {

// "WSXS", then a version: a helper left running from another build (it
// cannot be, the server starts its own, but a stray reader of the socket
// could) refuses what it does not understand instead of guessing.
constexpr std::uint32_t kMagic = 0x53585357;
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kTerminalSessionFlag = 1;

void put(std::string& out, std::uint32_t value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.append(bytes, sizeof value);
}

std::uint32_t get(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;
}

// Points each of `count` strings of `body`, from `at`, into `into`, then a
// null pointer; false if the body ends before them.
bool take_strings(std::string& body, std::size_t& at, std::uint32_t count,
                  std::vector<char*>& into) {
  into.reserve(std::size_t{count} + 1);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t end = body.find('\0', at);
    if (end == std::string::npos) return false;
    into.push_back(body.data() + at);
    at = end + 1;
  }
  into.push_back(nullptr);
  return true;
}

}  // namespace

std::string encode_spawn_request(std::string_view executable, const std::vector<std::string>& argv,
                                 const std::vector<std::string>& environment, bool terminal_session,
                                 std::size_t max_body_bytes) {
  std::size_t body_bytes = executable.size() + 1;
  for (const auto& arg : argv) body_bytes += arg.size() + 1;
  for (const auto& variable : environment) body_bytes += variable.size() + 1;
  if (body_bytes > max_body_bytes || body_bytes > UINT32_MAX) return {};
  std::string out;
  out.reserve(kSpawnHeaderBytes + body_bytes);
  put(out, kMagic);
  put(out, kVersion | (terminal_session ? kTerminalSessionFlag << 16 : 0));
  put(out, static_cast<std::uint32_t>(argv.size()));
  put(out, static_cast<std::uint32_t>(environment.size()));
  put(out, static_cast<std::uint32_t>(body_bytes));
  // A string with a NUL inside would shift every later one: execve could
  // not take it either, so it is cut there, as execve would read it.
  const auto append_string = [&out](std::string_view s) {
    out.append(s.substr(0, s.find('\0')));
    out.push_back('\0');
  };
  append_string(executable);
  for (const auto& arg : argv) append_string(arg);
  for (const auto& variable : environment) append_string(variable);
  // Cut strings leave the body shorter than announced: say the real size.
  const auto real_body = static_cast<std::uint32_t>(out.size() - kSpawnHeaderBytes);
  std::memcpy(out.data() + 16, &real_body, sizeof real_body);
  return out;
}

std::optional<SpawnHeader> decode_spawn_header(std::string_view bytes, std::size_t max_body_bytes) {
  if (bytes.size() != kSpawnHeaderBytes || get(bytes, 0) != kMagic) return std::nullopt;
  const std::uint32_t version_and_flags = get(bytes, 4);
  if ((version_and_flags & 0xffff) != kVersion) return std::nullopt;
  const std::uint32_t flags = version_and_flags >> 16;
  if ((flags & ~kTerminalSessionFlag) != 0) return std::nullopt;
  SpawnHeader header;
  header.terminal_session = (flags & kTerminalSessionFlag) != 0;
  header.argc = get(bytes, 8);
  header.envc = get(bytes, 12);
  header.body_bytes = get(bytes, 16);
  // Each string takes at least its NUL: counts beyond the body are lies,
  // and checking here bounds what decode_spawn_body reserves.
  const std::uint64_t strings = 1ull + header.argc + header.envc;
  if (header.body_bytes > max_body_bytes || strings > header.body_bytes) return std::nullopt;
  return header;
}

std::optional<SpawnStrings> decode_spawn_body(const SpawnHeader& header, std::string& body) {
  if (body.size() != header.body_bytes || header.argc == 0) return std::nullopt;
  SpawnStrings strings;
  std::vector<char*> executable;
  std::size_t at = 0;
  if (!take_strings(body, at, 1, executable) ||
      !take_strings(body, at, header.argc, strings.argv) ||
      !take_strings(body, at, header.envc, strings.envp) || at != body.size()) {
    return std::nullopt;
  }
  strings.executable = executable.front();
  return strings;
}

std::string encode_spawn_reply(const SpawnReply& reply) {
  std::string out;
  put(out, static_cast<std::uint32_t>(reply.pid));
  put(out, static_cast<std::uint32_t>(reply.error));
  return out;
}

std::optional<SpawnReply> decode_spawn_reply(std::string_view bytes) {
  if (bytes.size() != kSpawnReplyBytes) return std::nullopt;
  SpawnReply reply;
  reply.pid = static_cast<pid_t>(get(bytes, 0));
  reply.error = static_cast<int>(get(bytes, 4));
  // Either a child, or an errno, or a child that failed to exec; never
  // neither, never a negative errno, never a pid below -1.
  if (reply.pid < -1 || reply.pid == 0 || reply.error < 0) return std::nullopt;
  if (reply.pid == -1 && reply.error == 0) return std::nullopt;
  return reply;
}

}  // namespace wsexec
