#include "test_helpers.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "proc_status.hpp"

namespace wsexec_test {

using Clock = std::chrono::steady_clock;

namespace {

// The tests write to sockets the server may already have closed; that must
// be an error return (EPIPE), not a signal that kills the test binary.
[[maybe_unused]] const bool kSigpipeIgnored = [] {
  ::signal(SIGPIPE, SIG_IGN);
  return true;
}();

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// The one-letter state of /proc/PID/stat ('R', 'S', 'Z'...), 0 if none.
char process_state(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  // "pid (comm) S ...": comm may contain spaces and parentheses, so look
  // for the last ')'.
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return 0;
  return stat[close_paren + 2];
}

// The inodes of the sockets listening on a TCP port, from a /proc/net table.
std::vector<std::string> listening_inodes(const std::string& table, std::uint16_t port) {
  std::vector<std::string> inodes;
  std::istringstream lines(read_file(table));
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode"
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
        timeout >> inode;
    auto colon = local.rfind(':');
    if (colon == std::string::npos || state != "0A") continue;  // 0A = LISTEN
    if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) inodes.push_back(inode);
  }
  return inodes;
}

}  // namespace

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int saved = errno;
    ::close(fd);
    throw std::runtime_error(std::string("bind/getsockname: ") + std::strerror(saved));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool ipv6_loopback_available() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool process_listens_on(pid_t pid, std::uint16_t port) {
  std::vector<std::string> inodes = listening_inodes("/proc/net/tcp", port);
  for (const std::string& inode : listening_inodes("/proc/net/tcp6", port)) inodes.push_back(inode);
  if (inodes.empty()) return false;
  for (int fd : open_descriptors(pid)) {
    std::string target = descriptor_target(pid, fd);  // "socket:[12345]"
    for (const std::string& inode : inodes) {
      if (target == "socket:[" + inode + "]") return true;
    }
  }
  return false;
}

std::string listening_report(pid_t pid, std::uint16_t port) {
  std::string report = "listening inodes on the port:";
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    for (const std::string& inode : listening_inodes(table, port)) {
      report += ' ';
      report += inode;
    }
  }
  report += "; sockets of pid " + std::to_string(pid) + ":";
  for (int fd : open_descriptors(pid)) {
    std::string target = descriptor_target(pid, fd);
    if (!contains(target, "socket:")) continue;
    // Appended piece by piece: "a" + b + ... trips a false -Wrestrict in g++ 12.
    report += ' ';
    report += std::to_string(fd);
    report += "->";
    report += target;
  }
  return report;
}

bool wait_until(const std::function<bool()>& pred, Millis timeout, Millis interval) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(interval);
  }
  return true;
}

bool process_running(pid_t pid) {
  if (pid <= 0) return false;
  char state = process_state(pid);
  return state != 0 && state != 'Z' && state != 'X';
}

bool process_exists(pid_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

namespace {

// A live spawn helper's command line, as spawn_helpers.cpp starts it.
bool is_spawn_helper(pid_t pid) {
  static const std::string kHelperCommandLine("wsexec-spawner\0--internal-spawn-helper\0", 39);
  return read_file("/proc/" + std::to_string(pid) + "/cmdline") == kHelperCommandLine;
}

// Every direct child of `parent`, helpers included.
std::vector<ChildProcess> all_children_of(pid_t parent) {
  std::vector<ChildProcess> children;
  DIR* proc = ::opendir("/proc");
  if (!proc) return children;
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = parse_pid(entry->d_name);
    if (pid == 0) continue;
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) continue;  // gone meanwhile
    std::istringstream rest(stat.substr(close_paren + 1));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) children.push_back({pid, state});
  }
  ::closedir(proc);
  return children;
}

}  // namespace

std::vector<ChildProcess> children_of(pid_t parent) {
  std::vector<ChildProcess> children = all_children_of(parent);
  std::erase_if(children, [](const ChildProcess& child) { return is_spawn_helper(child.pid); });
  return children;
}

std::vector<pid_t> spawn_helpers_of(pid_t server) {
  std::vector<pid_t> helpers;
  for (const ChildProcess& child : all_children_of(server)) {
    if (is_spawn_helper(child.pid)) helpers.push_back(child.pid);
  }
  return helpers;
}

std::vector<int> open_descriptors(pid_t pid) {
  std::vector<int> descriptors;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    descriptors.push_back(std::stoi(entry.path().filename().string()));
  }
  std::sort(descriptors.begin(), descriptors.end());
  return descriptors;
}

int open_descriptor_count(pid_t pid) {
  if (!process_exists(pid)) return -1;
  return static_cast<int>(open_descriptors(pid).size());
}

std::string descriptor_target(pid_t pid, int fd) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(
      "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd), ec);
  return ec ? "" : target.string();
}

bool blocked_writing_to_pipe(pid_t pid) {
  if (process_state(pid) != 'S') return false;
  std::string wchan = read_file("/proc/" + std::to_string(pid) + "/wchan");
  if (wchan.empty() || wchan == "0") return true;  // not shown by this kernel
  return contains(wchan, "pipe_write");            // "pipe_write", "anon_pipe_write"
}

long resident_kib(pid_t pid) {
  return proc_status_number(pid, "VmRSS");
}

std::string process_name(pid_t pid) {
  std::string name = read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

PidCleanup::~PidCleanup() {
  for (pid_t pid : pids_) {
    if (process_running(pid)) ::kill(pid, SIGKILL);
  }
}

void PidCleanup::add(pid_t pid) {
  if (pid > 0) pids_.push_back(pid);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> split_words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

bool contains_ignoring_case(std::string_view haystack, std::string_view needle) {
  auto lower = [](std::string_view text) {
    std::string result(text);
    for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return result;
  };
  return contains(lower(haystack), lower(needle));
}

std::string log_field(std::string_view line, std::string_view key) {
  std::string opener(key);
  opener += ":'";
  // The key must start a word: "id:'" must not match inside "pid:'".
  std::size_t at = line.find(opener);
  while (at != std::string_view::npos && at > 0 && line[at - 1] != ' ') {
    at = line.find(opener, at + 1);
  }
  if (at == std::string_view::npos) return "";
  std::size_t value_start = at + opener.size();
  auto end = line.find('\'', value_start);
  if (end == std::string_view::npos) return "";
  return std::string(line.substr(value_start, end - value_start));
}

pid_t parse_pid(std::string_view text) {
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) return 0;
  return pid;
}

pid_t read_pid_file(const std::string& path) {
  std::vector<std::string> words = split_words(read_file(path));
  return words.empty() ? 0 : parse_pid(words[0]);
}

ListeningSocket::ListeningSocket(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd_, 8) != 0) {
    int saved = errno;
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                             std::strerror(saved));
  }
}

ListeningSocket::~ListeningSocket() {
  if (fd_ >= 0) ::close(fd_);
}

RawConnection::RawConnection(const std::string& address, std::uint16_t port, Millis timeout) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof *v6;
  } else {
    throw std::runtime_error("not an IP address: " + address);
  }
  fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0 && errno != EINPROGRESS) {
    int saved = errno;
    ::close(fd_);
    throw std::runtime_error(std::string("connect: ") + std::strerror(saved));
  }
  pollfd waiter{fd_, POLLOUT, 0};
  int error = 0;
  socklen_t error_length = sizeof error;
  if (::poll(&waiter, 1, static_cast<int>(timeout.count())) != 1 ||
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0 || error != 0) {
    ::close(fd_);
    throw std::runtime_error("connect to " + address + ":" + std::to_string(port) +
                             " failed: " + std::strerror(error ? error : ETIMEDOUT));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool send_all_on(int fd, std::string_view data, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
    pollfd waiter{fd, POLLOUT, 0};
    if (::poll(&waiter, 1, remaining_ms(deadline)) <= 0) return false;
  }
  return true;
}

bool RawConnection::send_all(std::string_view data, Millis timeout) {
  return send_all_on(fd_, data, timeout);
}

std::string RawConnection::read_until(std::string_view marker, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string received;
  char buffer[4096];
  while (marker.empty() || !contains(received, marker)) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      received.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) break;  // peer closed
    if (errno != EAGAIN && errno != EINTR) break;
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, remaining_ms(deadline)) <= 0) break;
  }
  return received;
}

std::string RawConnection::read_until_closed(Millis timeout, bool* closed) {
  const auto deadline = Clock::now() + timeout;
  std::string received;
  char buffer[4096];
  bool peer_closed = false;
  while (true) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      received.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      peer_closed = true;  // orderly close or reset: either way it is gone
      break;
    }
    pollfd waiter{fd_, POLLIN, 0};
    if (::poll(&waiter, 1, remaining_ms(deadline)) <= 0) break;
  }
  if (closed) *closed = peer_closed;
  return received;
}

void RawConnection::reset() {
  if (fd_ < 0) return;
  linger abortive{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  ::close(fd_);
  fd_ = -1;
}

int http_status_of(std::string_view response) {
  // "HTTP/1.1 404 Not Found"
  if (response.substr(0, 5) != "HTTP/") return 0;
  auto space = response.find(' ');
  if (space == std::string_view::npos || space + 4 > response.size()) return 0;
  int status = 0;
  auto digits = response.substr(space + 1, 3);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), status);
  if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
  return status;
}

std::optional<std::string> http_header(std::string_view response, std::string_view name) {
  auto head_end = response.find("\r\n\r\n");
  for (const std::string& raw_line : split_lines(response.substr(0, head_end))) {
    std::string_view line = raw_line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto colon = line.find(':');
    if (colon != name.size()) continue;
    bool same = std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    });
    if (!same) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    return std::string(value);
  }
  return std::nullopt;
}

std::string upgrade_request(const std::string& host, const std::string& target) {
  return "GET " + target +
         " HTTP/1.1\r\n"
         "Host: " +
         host +
         "\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\n"
         "\r\n";
}

}  // namespace wsexec_test
