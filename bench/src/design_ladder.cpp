// design-ladder: a minimal WebSocket-to-program server on epoll, one
// connection at a time, whose design choices are switched on one by one,
// so that churn can be measured rung by rung between the floor server
// (blocking calls, no event loop) and wsexec (docs/performance.md, "Churn,
// a tenth look"). Environment:
//   HELPER=1  programs started by a helper process forked at start-up: the
//             request carries the three pipe ends (SCM_RIGHTS); the helper
//             clones with CLONE_PARENT (the program is ours) and answers
//             the pid and a pidfd, read when its socket turns readable
//   EARLY=1   the spawn asked for before the 101 (wsexec's order)
//   FIN=1     the socket closed at the client's FIN, not right after ours
//   WATCH=1   (with HELPER) the program's stderr and pidfd watched, and at
//             its exit its group killed, waitid, its descriptors closed;
//             without it, the floor server's way: stdout closed with the
//             session, exited programs reaped at the next accept
//   LAZY=1    (with WATCH) once its session is over, a program is no longer
//             watched; it is reaped at a later accept (waitid, WNOHANG)
// Arguments: --port=N; the rest is ignored, so bench/churn_ab.py runs it as
// a server (`'rung=build-bench/bench/design-ladder HELPER=1 EARLY=1'`).
// The command is /bin/cat. It understands only what wsbench's churn sends
// (one small masked frame, then a close) and checks no errors beyond what
// keeps it running: a measuring instrument, not a server.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sched.h>
#include <signal.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

bool HELPER, EARLY, FIN, WATCH, LAZY;
char kCat[] = "/bin/cat";
char kPath[] = "PATH=/usr/bin:/bin";
char* kArgv[] = {kCat, nullptr};
char* kEnvp[] = {kPath, nullptr};

[[noreturn]] void exec_child(const int fds[3]) {
  setpgid(0, 0);
  dup2(fds[0], 0);
  dup2(fds[1], 1);
  dup2(fds[2], 2);
  execve(kArgv[0], kArgv, kEnvp);
  _exit(127);
}

// ------------------------------------------------------------ the helper

void send_with_fds(int socket, const void* data, std::size_t size, const int* fds, int count) {
  alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
  iovec part{const_cast<void*>(data), size};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = CMSG_SPACE(count * sizeof(int));
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(count * sizeof(int));
  std::memcpy(CMSG_DATA(header), fds, count * sizeof(int));
  sendmsg(socket, &message, MSG_NOSIGNAL);
}

ssize_t receive_with_fds(int socket, void* data, std::size_t size, int* fds, int count, int flags) {
  alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))];
  iovec part{data, size};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  const ssize_t got = recvmsg(socket, &message, flags | MSG_CMSG_CLOEXEC);
  if (const cmsghdr* header = CMSG_FIRSTHDR(&message); got > 0 && header != nullptr) {
    std::memcpy(fds, CMSG_DATA(header), count * sizeof(int));
  }
  return got;
}

int clone_entry(void* fds) {
  exec_child(static_cast<const int*>(fds));
}

// Request: the child's slot and its three descriptors. Answer: pid and
// slot, and the pidfd. Ends when the server does.
[[noreturn]] void helper_loop(int socket) {
  static char stack[64 * 1024];
  for (;;) {
    int slot = 0;
    int fds[3];
    if (receive_with_fds(socket, &slot, sizeof slot, fds, 3, 0) <= 0) _exit(0);
    int pidfd = -1;
    const pid_t pid =
        clone(clone_entry, stack + sizeof stack,
              CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_PIDFD | SIGCHLD, fds, &pidfd);
    for (const int fd : fds) close(fd);
    const std::array<int, 2> answer{pid, slot};
    send_with_fds(socket, answer.data(), sizeof answer, &pidfd, 1);
    close(pidfd);
  }
}

int start_helper() {
  int pair[2];
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
  if (fork() == 0) {
    close(pair[0]);
    helper_loop(pair[1]);
  }
  close(pair[1]);
  return pair[0];
}

// -------------------------------------------------------------- children

enum class Use { free, serving, exiting, unwatched };
struct Child {
  pid_t pid = -1;
  int in = -1, out = -1, err = -1, pidfd = -1;
  Use use = Use::free;
  // Its helper's answer has come. Until then the slot stays taken, or a
  // late answer would write its pid into the slot's next user.
  bool answered = false;
};
std::array<Child, 64> children;
int epoll_fd = -1;
int helper_socket = -1;

// What an epoll event is about (the high half of its data; the low half
// is a child's slot, or a lingering socket's descriptor).
enum Kind : std::uint32_t {
  listener_ready = 1,
  client_ready,
  lingering_ready,
  helper_answer,
  program_output,
  program_errors,
  program_exited
};
void watch(int fd, Kind kind, int index) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = (std::uint64_t{kind} << 32) | static_cast<std::uint32_t>(index);
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

void close_if_open(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

void release(Child& child) {
  close_if_open(child.in);
  close_if_open(child.out);
  close_if_open(child.err);
  close_if_open(child.pidfd);
  child.use = Use::free;
}

int spawn() {
  int slot = 0;
  while (children[slot].use != Use::free) {
    if (++slot == static_cast<int>(children.size())) std::abort();  // a leak: say so
  }
  Child& child = children[slot];
  child = Child{};
  child.use = Use::serving;
  int in[2], out[2], err[2];
  pipe2(in, O_CLOEXEC);
  pipe2(out, O_CLOEXEC | O_NONBLOCK);
  pipe2(err, O_CLOEXEC | O_NONBLOCK);
  const int ends[3] = {in[0], out[1], err[1]};
  if (HELPER) {
    send_with_fds(helper_socket, &slot, sizeof slot, ends, 3);
  } else {
    child.pid = vfork();
    if (child.pid == 0) exec_child(ends);
  }
  for (const int end : ends) close(end);
  child.in = in[1];
  child.out = out[0];
  watch(child.out, program_output, slot);
  child.err = err[0];
  if (WATCH) {
    watch(child.err, program_errors, slot);
  } else {
    close_if_open(child.err);
  }
  return slot;
}

// Without WATCH: the floor server's way, before each accept.
void reap_exited() {
  for (Child& child : children) {
    if (child.use != Use::exiting) continue;
    // A helper's children are waited for by no one (SIGCHLD ignored).
    if (HELPER ? child.answered : waitpid(child.pid, nullptr, WNOHANG) == child.pid) {
      release(child);
    }
  }
}

// LAZY: programs of ended sessions that have exited by now.
void reap_unwatched() {
  for (Child& child : children) {
    if (child.use != Use::unwatched) continue;
    siginfo_t info{};
    if (waitid(P_PIDFD, child.pidfd, &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0) {
      kill(-child.pid, SIGKILL);
      release(child);
    }
  }
}

// The session of `child` is over: its stdin closes (cat exits at that EOF).
void end_session(Child& child) {
  close_if_open(child.in);
  if (!WATCH) {
    close_if_open(child.out);
    child.use = Use::exiting;
    return;
  }
  child.use = Use::exiting;
  if (LAZY && child.pidfd >= 0) {
    for (const int fd : {child.out, child.err, child.pidfd}) {
      if (fd >= 0) epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    }
    child.use = Use::unwatched;
  }
}

// ---------------------------------------------- just what wsbench sends

// The request head's length once it is whole (0 before), and its key.
std::size_t parse_request(std::string_view data, char* key, std::size_t key_room) {
  const std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  constexpr std::string_view kName = "sec-websocket-key:";
  key[0] = '\0';
  for (std::size_t line = 0; line < end;) {
    const std::size_t next = data.find("\r\n", line);
    std::string_view text = data.substr(line, next - line);
    if (text.size() > kName.size() && strncasecmp(text.data(), kName.data(), kName.size()) == 0) {
      text.remove_prefix(kName.size());
      while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
      const std::size_t n = std::min(text.size(), key_room - 1);
      std::memcpy(key, text.data(), n);
      key[n] = '\0';
    }
    line = next + 2;
  }
  return end + 4;
}

int switching_protocols(const char* key, char* out) {
  char joined[160];
  unsigned char digest[SHA_DIGEST_LENGTH];
  unsigned char accept[64];
  std::snprintf(joined, sizeof joined, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
  SHA1(reinterpret_cast<unsigned char*>(joined), std::strlen(joined), digest);
  EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
  return std::sprintf(out,
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                      accept);
}

// One masked frame of at most 125 bytes: its length once whole (0 before).
int parse_frame(const unsigned char* data, int size, int& opcode, char* payload, int& length) {
  if (size < 2) return 0;
  length = data[1] & 0x7f;
  if (length > 125 || size < 6 + length) return 0;
  for (int i = 0; i < length; ++i) payload[i] = static_cast<char>(data[6 + i] ^ data[2 + (i & 3)]);
  opcode = data[0] & 0x0f;
  return 6 + length;
}

int server_frame(char* out, int opcode, const char* payload, int length) {
  out[0] = static_cast<char>(0x80 | opcode);
  out[1] = static_cast<char>(length);
  std::memcpy(out + 2, payload, length);
  return length + 2;
}

bool flag(const char* name) {
  return std::getenv(name) != nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--port=", 7) == 0) port = std::atoi(argv[i] + 7);
  }
  HELPER = flag("HELPER"), EARLY = flag("EARLY"), FIN = flag("FIN"), WATCH = flag("WATCH"),
  LAZY = flag("LAZY");
  if ((WATCH && !HELPER) || (LAZY && !WATCH) || (EARLY && !HELPER)) {
    std::fprintf(stderr, "design-ladder: EARLY and WATCH need HELPER, LAZY needs WATCH\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  // Without WATCH no one waits for the helper's children (ours, by CLONE_PARENT).
  if (HELPER && !WATCH) signal(SIGCHLD, SIG_IGN);
  const int one = 1;
  const int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listen_fd, 128) != 0) {
    std::perror("design-ladder: listen");
    return 1;
  }
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  watch(listen_fd, listener_ready, 0);
  if (HELPER) {
    helper_socket = start_helper();
    watch(helper_socket, helper_answer, 0);
  }
  int client_fd = -1;  // the connection being served
  int serving = -1;    // its child's slot
  bool upgraded = false;
  static char in[8192], line[4096], out[4200], payload[4096], key[128];
  int in_size = 0, line_size = 0;
  for (;;) {
    epoll_event events[16];
    const int ready = epoll_wait(epoll_fd, events, 16, -1);
    for (int e = 0; e < ready; ++e) {
      const auto kind = static_cast<Kind>(events[e].data.u64 >> 32);
      const int index = static_cast<int>(static_cast<std::uint32_t>(events[e].data.u64));
      switch (kind) {
        case listener_ready: {
          if (!WATCH) reap_exited();
          if (LAZY) reap_unwatched();
          const int accepted = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
          if (accepted < 0) break;
          // One at a time: a connection not yet ended is the bench's probe.
          if (client_fd >= 0) close(client_fd);
          if (serving >= 0) end_session(children[serving]);
          setsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          client_fd = accepted, serving = -1, upgraded = false, in_size = 0, line_size = 0;
          watch(client_fd, client_ready, 0);
          break;
        }
        case lingering_ready: {  // FIN: an ended connection, closed at the client's end
          char discard[256];
          ssize_t got;
          while ((got = recv(index, discard, sizeof discard, 0)) > 0) {
          }
          if (got == 0 || errno != EAGAIN) close(index);
          break;
        }
        case client_ready: {
          if (index != 0 || client_fd < 0) break;
          ssize_t got;
          while ((got = recv(client_fd, in + in_size, sizeof in - in_size, 0)) > 0) in_size += got;
          bool over = got == 0 || (got < 0 && errno != EAGAIN);
          if (!upgraded) {
            const std::size_t head = parse_request(std::string_view(in, in_size), key, sizeof key);
            if (head == 0 && !over) break;
            if (head != 0) {
              std::memmove(in, in + head, in_size - head);
              in_size -= static_cast<int>(head);
              if (EARLY) serving = spawn();
              send(client_fd, out, switching_protocols(key, out), MSG_NOSIGNAL);
              if (!EARLY) serving = spawn();
              upgraded = true;
            }
          }
          int opcode = 0, length = 0, used;
          while (!over && (used = parse_frame(reinterpret_cast<unsigned char*>(in), in_size, opcode,
                                              payload, length)) > 0) {
            std::memmove(in, in + used, in_size - used);
            in_size -= used;
            if (opcode == 8) {
              send(client_fd, out, server_frame(out, 8, payload, std::min(length, 2)),
                   MSG_NOSIGNAL);
              shutdown(client_fd, SHUT_WR);
              over = true;
              break;
            }
            payload[length] = '\n';
            if (serving < 0) continue;  // its program has exited already
            [[maybe_unused]] const ssize_t written =
                write(children[serving].in, payload, length + 1);
          }
          if (!over) break;
          if (FIN) {
            epoll_event event{};
            event.events = EPOLLIN;
            event.data.u64 =
                (std::uint64_t{lingering_ready} << 32) | static_cast<std::uint32_t>(client_fd);
            epoll_ctl(epoll_fd, EPOLL_CTL_MOD, client_fd, &event);
          } else {
            close(client_fd);
          }
          client_fd = -1;
          if (serving >= 0) end_session(children[serving]);
          serving = -1;
          break;
        }
        case helper_answer: {
          std::array<int, 2> answer{};
          int pidfd = -1;
          if (receive_with_fds(helper_socket, answer.data(), sizeof answer, &pidfd, 1,
                               MSG_DONTWAIT) != sizeof answer) {
            break;
          }
          Child& child = children[answer[1]];
          child.pid = answer[0];
          child.answered = true;
          if (WATCH && child.use != Use::free) {
            child.pidfd = pidfd;
            watch(pidfd, program_exited, answer[1]);
          } else {
            close(pidfd);
          }
          break;
        }
        case program_output: {
          Child& child = children[index];
          if (child.out < 0) break;
          ssize_t got;
          if (index != serving) {  // an ended session's: read and dropped
            char discard[512];
            while ((got = read(child.out, discard, sizeof discard)) > 0) {
            }
            if (got == 0) close_if_open(child.out);  // closing takes it off the epoll set
            break;
          }
          while ((got = read(child.out, line + line_size, sizeof line - line_size)) > 0) {
            line_size += got;
          }
          if (got == 0) close_if_open(child.out);
          while (char* newline = static_cast<char*>(std::memchr(line, '\n', line_size))) {
            const int length = static_cast<int>(newline - line);
            send(client_fd, out, server_frame(out, 1, line, length), MSG_NOSIGNAL);
            line_size -= length + 1;
            std::memmove(line, newline + 1, line_size);
          }
          break;
        }
        case program_errors: {
          Child& child = children[index];
          char discard[512];
          ssize_t got;
          while (child.err >= 0 && (got = read(child.err, discard, sizeof discard)) > 0) {
          }
          if (child.err >= 0 && got == 0) close_if_open(child.err);
          break;
        }
        case program_exited: {  // WATCH: as wsexec ends a program that has exited
          Child& child = children[index];
          if (child.pidfd < 0) break;
          kill(-child.pid, SIGKILL);  // whatever of its group is left
          siginfo_t info{};
          waitid(P_PIDFD, child.pidfd, &info, WEXITED);
          if (index == serving) serving = -1;
          release(child);
          break;
        }
      }
    }
  }
}
