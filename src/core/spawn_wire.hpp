#pragma once
// The bytes the server and its spawn helper (src/process/spawn_helpers.hpp)
// exchange over their Unix socket: a request says what to start, a reply
// says what became of it. The descriptors travel beside these bytes
// (SCM_RIGHTS); only the bytes are encoded here, so both ends and the fuzz
// target share one decoder that never trusts a length it has not checked.
//
// A request is a fixed header, then one block of NUL-terminated strings:
// the executable, argv, the environment. A reply is a fixed pair of
// numbers. Both ends are the same binary, so integers travel in host order.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsexec {

inline constexpr std::size_t kSpawnHeaderBytes = 20;
inline constexpr std::size_t kSpawnReplyBytes = 8;

// What a request's header announces; the body is read once it is known.
struct SpawnHeader {
  bool terminal_session = false;  // setsid and a controlling terminal (--pty)
  std::uint32_t argc = 0;
  std::uint32_t envc = 0;
  std::uint32_t body_bytes = 0;
};

// A decoded body, pointing into the buffer it was decoded from, in the shape
// execve wants: argv and envp end with a null pointer.
struct SpawnStrings {
  const char* executable = nullptr;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

struct SpawnReply {
  pid_t pid = -1;  // the started child; also set when exec failed (it must be reaped)
  int error = 0;   // 0, or the errno of clone or exec
};

// The whole request, header and body. Empty if it would exceed
// `max_body_bytes` (the caller answers E2BIG, as execve would).
std::string encode_spawn_request(std::string_view executable, const std::vector<std::string>& argv,
                                 const std::vector<std::string>& environment, bool terminal_session,
                                 std::size_t max_body_bytes);

// nullopt unless `bytes` (exactly kSpawnHeaderBytes) is a header this
// version writes, with a body of at most `max_body_bytes`.
std::optional<SpawnHeader> decode_spawn_header(std::string_view bytes, std::size_t max_body_bytes);

// nullopt unless `body` holds exactly 1 + argc + envc NUL-terminated strings
// and argv is not empty. `body` must stay alive and unmoved while the
// result is used.
std::optional<SpawnStrings> decode_spawn_body(const SpawnHeader& header, std::string& body);

std::string encode_spawn_reply(const SpawnReply& reply);
// nullopt unless `bytes` is exactly kSpawnReplyBytes with a consistent
// pair (a pid, or an errno, or both for a failed exec).
std::optional<SpawnReply> decode_spawn_reply(std::string_view bytes);

}  // namespace wsexec
