#include "floor_server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <atomic>
#include <boost/beast/websocket/detail/hybi13.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "child_pipes.hpp"
#include "ws_client.hpp"

namespace bench {
namespace {

// Appends what one recv() gives; false on EOF or error.
bool receive_more(int fd, std::string& buffer) {
  char chunk[4096];
  ssize_t n;
  do {
    n = ::recv(fd, chunk, sizeof chunk, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads the upgrade request and returns its Sec-WebSocket-Key ("" if the
// connection ended first). What follows the request stays in `buffer`.
std::string read_upgrade_key(int fd, std::string& buffer) {
  std::size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!receive_more(fd, buffer)) return {};
  }
  std::string key;
  const std::string_view head(buffer.data(), end + 2);
  constexpr std::string_view kName = "sec-websocket-key:";
  for (std::size_t line = 0; line < head.size();) {
    const std::size_t next = head.find("\r\n", line);
    const std::string_view text = head.substr(line, next - line);
    if (text.size() > kName.size() && ::strncasecmp(text.data(), kName.data(), kName.size()) == 0) {
      std::string_view value = text.substr(kName.size());
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      key = value;
    }
    line = next + 2;
  }
  buffer.erase(0, end + 4);
  return key;
}

// One client frame (masked, unfragmented) out of `buffer`, reading more as
// needed; false if the connection ended first.
bool read_frame(int fd, std::string& buffer, Opcode& opcode, std::string& payload) {
  while (true) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(buffer.data());
    const std::size_t have = buffer.size();
    if (have >= 2) {
      const bool masked = (p[1] & 0x80) != 0;
      std::size_t size = p[1] & 0x7f;
      const std::size_t head = size == 126 ? 4 : size == 127 ? 10 : 2;
      const std::size_t key_at = head;
      const std::size_t payload_at = head + (masked ? 4 : 0);
      if (have >= payload_at) {
        if (head == 4) size = (std::size_t{p[2]} << 8) | p[3];
        if (head == 10) {
          size = 0;
          for (int i = 0; i < 8; ++i) size = (size << 8) | p[2 + i];
        }
        if (size <= have - payload_at) {  // not payload_at + size: a 64-bit length may wrap
          opcode = static_cast<Opcode>(p[0] & 0x0f);
          payload.assign(buffer, payload_at, size);
          if (masked) {
            for (std::size_t i = 0; i < size; ++i) payload[i] ^= buffer[key_at + (i & 3)];
          }
          buffer.erase(0, payload_at + size);
          return true;
        }
      }
    }
    if (!receive_more(fd, buffer)) return false;
  }
}

// One line from the child's stdout (without its newline).
bool read_line(int fd, std::string& pending, std::string& line) {
  std::size_t end;
  while ((end = pending.find('\n')) == std::string::npos) {
    char chunk[4096];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    pending.append(chunk, static_cast<std::size_t>(n));
  }
  line.assign(pending, 0, end);
  pending.erase(0, end + 1);
  return true;
}

// Serves one connection to its end. The child, its stdin closed, goes to
// `exiting` to be reaped later.
void serve(int client, const std::string& command, std::vector<Child>& exiting) {
  const int one = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  std::string in;
  const std::string key = read_upgrade_key(client, in);
  if (key.empty()) return;
  boost::beast::websocket::detail::sec_ws_accept_type accept;
  boost::beast::websocket::detail::make_sec_ws_accept(accept, key);
  const std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      std::string(accept.data(), accept.size()) + "\r\n\r\n";
  if (!send_all(client, response)) return;
  // However this connection ends (a write to a dead child throws), the
  // child's stdin is closed and the child goes to be reaped.
  struct Handover {
    Child child;
    std::vector<Child>& exiting;
    ~Handover() {
      ::close(child.in);
      child.in = -1;
      exiting.push_back(child);
    }
  } handover{spawn_child(command), exiting};
  const Child& child = handover.child;
  std::string payload, line, stdout_pending, out;
  Opcode opcode;
  while (read_frame(client, in, opcode, payload)) {
    out.clear();
    if (opcode == Opcode::close) {
      append_server_frame(out, Opcode::close, std::string_view(payload).substr(0, 2));
      send_all(client, out);
      // Our FIN goes out now; not waiting for the client's (a server with
      // an event loop accepts the next connection meanwhile).
      ::shutdown(client, SHUT_WR);
      break;
    }
    payload.push_back('\n');
    write_all(child.in, payload.data(), payload.size());
    if (!read_line(child.out, stdout_pending, line)) break;
    append_server_frame(out, opcode == Opcode::binary ? Opcode::binary : Opcode::text, line);
    if (!send_all(client, out)) break;
  }
}

// Reaps the children that have exited, without waiting for the others.
void reap_exited(std::vector<Child>& exiting) {
  std::erase_if(exiting, [](Child& child) {
    int status;
    if (::waitpid(child.pid, &status, WNOHANG) != child.pid) return false;
    ::close(child.out);
    ::close(child.err);
    return true;
  });
}

}  // namespace

struct FloorServer::Impl {
  int listener = -1;
  std::atomic<bool> stopping{false};
  std::atomic<int> current{-1};  // the client being served, to wake on stop
  std::thread thread;
};

FloorServer::FloorServer(unsigned short port, std::string command)
    : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(impl.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(impl.listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(impl.listener, 128) != 0) {
    const std::string why = std::strerror(errno);
    ::close(impl.listener);
    throw std::runtime_error("floor server on port " + std::to_string(port) + ": " + why);
  }
  impl.thread = std::thread([&impl, command = std::move(command)] {
    std::vector<Child> exiting;
    while (!impl.stopping) {
      reap_exited(exiting);
      const int client = ::accept4(impl.listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        break;  // stopped: shutdown() of the listener
      }
      impl.current = client;
      try {
        serve(client, command, exiting);
      } catch (const std::exception&) {
        // a failed spawn or write: this connection ends, the server goes on
      }
      impl.current = -1;
      ::close(client);
    }
    for (Child& child : exiting) reap(child);
  });
}

FloorServer::~FloorServer() {
  impl_->stopping = true;
  ::shutdown(impl_->listener, SHUT_RDWR);
  if (const int client = impl_->current; client >= 0) ::shutdown(client, SHUT_RDWR);
  impl_->thread.join();
  ::close(impl_->listener);
}

}  // namespace bench
