// Spawn requests and replies as a spawn helper and the server read them from
// each other: whatever the bytes, decoding reads only inside them, and what
// it accepts encodes back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/spawn_wire.hpp"
#include "fuzz_check.hpp"

using namespace wsexec;

namespace {

constexpr std::size_t kMaxBody = 1 << 16;

std::vector<std::string> strings_of(const std::vector<char*>& pointers) {
  std::vector<std::string> out;
  FUZZ_CHECK(!pointers.empty() && pointers.back() == nullptr);
  for (std::size_t i = 0; i + 1 < pointers.size(); ++i) out.emplace_back(pointers[i]);
  return out;
}

void check_request(std::string_view data) {
  if (data.size() < kSpawnHeaderBytes) return;
  const auto header = decode_spawn_header(data.substr(0, kSpawnHeaderBytes), kMaxBody);
  if (!header) return;
  FUZZ_CHECK(header->body_bytes <= kMaxBody);
  std::string body(data.substr(kSpawnHeaderBytes));
  const auto strings = decode_spawn_body(*header, body);
  if (!strings) return;
  FUZZ_CHECK(body.size() == header->body_bytes);
  FUZZ_CHECK(strings->argv.size() == header->argc + 1u);
  FUZZ_CHECK(strings->envp.size() == header->envc + 1u);
  const std::string again =
      encode_spawn_request(strings->executable, strings_of(strings->argv),
                           strings_of(strings->envp), header->terminal_session, kMaxBody);
  FUZZ_CHECK(again.substr(kSpawnHeaderBytes) == body);
}

void check_reply(std::string_view data) {
  const auto reply = decode_spawn_reply(data);
  if (!reply) return;
  FUZZ_CHECK(reply->pid > 0 || reply->error > 0);
  FUZZ_CHECK(encode_spawn_reply(*reply) == data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_request(bytes);
  check_reply(bytes);
  return 0;
}
