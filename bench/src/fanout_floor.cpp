#include "fanout_floor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "ws_client.hpp"

namespace bench {
namespace {

// A descriptor closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

void check(int rc, const char* what) {
  if (rc < 0) throw std::system_error(errno, std::generic_category(), what);
}

// The server's end and the client's end of one loopback connection, with
// TCP_NODELAY on both as wsexec and wsbench set it.
struct Pair {
  Fd server;
  Fd client;
};

std::vector<Pair> loopback_pairs(std::size_t count) {
  Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), "bind");
  check(::listen(listener.get(), 4096), "listen");
  socklen_t length = sizeof address;
  check(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length),
        "getsockname");
  const int one = 1;
  std::vector<Pair> pairs;
  pairs.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Fd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    check(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address),
          "connect");
    Fd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    check(::setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), "setsockopt");
    check(::setsockopt(server.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), "setsockopt");
    pairs.push_back({std::move(server), std::move(client)});
  }
  return pairs;
}

}  // namespace

Result run_limit_fanout_send(const Options& options) {
  Result result("limit-fanout-send");
  const auto conns = static_cast<std::size_t>(options.get_int("conns", 9000));
  const auto rounds = static_cast<int>(options.get_int("rounds", 10));
  // "SEQ SENT_NS", as shared-fanout's lines are.
  const auto size = static_cast<std::size_t>(options.get_int("size", 21));
  std::string frame;
  append_server_frame(frame, Opcode::text, std::string(size, 'x'));
  result.set("conns", conns);
  result.set("frame_bytes", frame.size());

  const std::vector<Pair> pairs = loopback_pairs(conns);
  std::vector<double> send_ms;
  std::vector<double> receive_ms;
  std::vector<char> sink(frame.size());
  for (int round = 0; round < rounds; ++round) {
    const auto send_start = Clock::now();
    for (const Pair& pair : pairs) {
      if (::send(pair.server.get(), frame.data(), frame.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(frame.size())) {
        throw std::runtime_error("a send was short or failed");
      }
    }
    send_ms.push_back(seconds_since(send_start) * 1000);
    const auto receive_start = Clock::now();
    for (const Pair& pair : pairs) {
      if (::recv(pair.client.get(), sink.data(), sink.size(), MSG_WAITALL) !=
          static_cast<ssize_t>(sink.size())) {
        throw std::runtime_error("a receive was short or failed");
      }
    }
    receive_ms.push_back(seconds_since(receive_start) * 1000);
  }
  const double send_median = percentile(send_ms, 50);
  const double receive_median = percentile(receive_ms, 50);
  result.set("send_all_ms_p50", send_median);
  result.set("send_all_ms_min", percentile(send_ms, 0));
  result.set("send_us_per_socket", send_median * 1000 / static_cast<double>(conns));
  result.set("receive_all_ms_p50", receive_median);
  result.set("receive_us_per_socket", receive_median * 1000 / static_cast<double>(conns));
  return result;
}

}  // namespace bench
