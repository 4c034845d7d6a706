#include "process/spawn_helper_loop.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/limits.hpp"
#include "core/spawn_wire.hpp"
#include "process/owned_fd.hpp"
#include "process/program_start.hpp"
#include "process/spawn_channel.hpp"

namespace wsexec {
namespace {

constexpr std::size_t kChildDescriptors = 3;  // stdin, stdout, stderr

bool is_stream_socket(int fd) {
  int type = 0;
  socklen_t size = sizeof type;
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM;
}

// Starts what `body` describes on `fds`. The child's pidfd, if any, lands in
// `pidfd`; a failed exec leaves a pid with an errno (the server reaps it).
SpawnReply start_requested(const SpawnHeader& header, std::string& body,
                           const std::vector<OwnedFd>& fds, const ChangedSignals* changed,
                           OwnedFd& pidfd) {
  SpawnReply reply;
  const std::optional<SpawnStrings> strings = decode_spawn_body(header, body);
  if (!strings) {
    reply.error = EINVAL;
    return reply;
  }
  std::error_code error;
  const StartedProgram started = start_program_for_parent(
      strings->executable, strings->argv.data(), strings->envp.data(), fds[0].get(), fds[1].get(),
      fds[2].get(), error,
      header.terminal_session ? ChildSession::own_terminal_session : ChildSession::own_group,
      changed);
  reply.pid = started.pid;
  reply.error = error.value();
  pidfd.reset(started.pidfd);
  return reply;
}

}  // namespace

int run_spawn_helper(int socket) {
  if (!is_stream_socket(socket)) {
    std::fputs(
        "wsexec: --internal-spawn-helper is for wsexec's own use (it serves a socket on "
        "stdin)\n",
        stderr);
    return 2;
  }
  // Ours are final from here on (the loop below changes none), so each child
  // is told which to reset instead of asking about every signal.
  ChangedSignals changed;
  const ChangedSignals* known = changed.read_now() ? &changed : nullptr;
  while (true) {
    std::string head;
    std::vector<OwnedFd> fds;
    std::error_code error;
    if (!receive_with_descriptors(socket, kSpawnHeaderBytes, head, fds, kChildDescriptors, error)) {
      return error ? 1 : 0;  // no error: the server closed its end
    }
    const std::optional<SpawnHeader> header =
        decode_spawn_header(head, limits::kMaxSpawnRequestBytes);
    // A broken header leaves no way to find the next request in the
    // stream: end, and the server starts a fresh helper.
    if (!header || fds.size() != kChildDescriptors) return 3;
    std::string body;
    std::vector<OwnedFd> stray;  // a body carries no descriptors; any are closed
    if (!receive_with_descriptors(socket, header->body_bytes, body, stray, 0, error)) return 1;
    OwnedFd pidfd;
    const SpawnReply reply = start_requested(*header, body, fds, known, pidfd);
    fds.clear();  // the child has its copies; ours would hide its EOFs
    std::vector<int> attached;
    if (pidfd) attached.push_back(pidfd.get());
    if (!send_with_descriptors(socket, encode_spawn_reply(reply), attached, error)) return 1;
  }
}

}  // namespace wsexec
