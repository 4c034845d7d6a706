// Small helpers shared by the integration tests: free ports, polling with a
// deadline, process liveness by PID, raw TCP connections, log parsing.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsexec_test {

using Millis = std::chrono::milliseconds;

// A TCP port that was free on 127.0.0.1 a moment ago (bind to port 0, read
// the port, close). Another process could take it in between; on a test
// machine that is rare enough, and the server then fails loudly.
std::uint16_t free_port();

// True if an IPv6 socket can be bound to [::1].
bool ipv6_loopback_available();

// True if a socket of this process listens on the TCP port (IPv4 or IPv6),
// read from /proc/net/tcp{,6} and /proc/PID/fd. Used to wait for a server to
// be ready without opening a connection that the server would see and log,
// and without mistaking another program that took the port for it.
bool process_listens_on(pid_t pid, std::uint16_t port);
// What process_listens_on saw, for a failure message.
std::string listening_report(pid_t pid, std::uint16_t port);

// Polls pred every few milliseconds until it holds or the timeout passes.
// Returns the final value of pred.
bool wait_until(const std::function<bool()>& pred, Millis timeout, Millis interval = Millis(10));
// Writes all of `data` to a (non-blocking or blocking) socket within
// `timeout`. False on error or deadline. Shared by the raw test clients.
bool send_all_on(int fd, std::string_view data, Millis timeout);

// A process with this PID exists and is not a zombie (an exited process that
// nobody reaped yet still has a PID, but it is no longer running).
bool process_running(pid_t pid);
// A process with this PID exists at all, zombie or not.
bool process_exists(pid_t pid);
// The direct children of a process (from /proc), zombies included, but not
// wsexec's spawn helpers: they live as long as the server
// (src/process/spawn_helpers.hpp), where the tests count what connections
// leave behind.
struct ChildProcess {
  pid_t pid = 0;
  char state = 0;  // as in /proc/PID/stat: 'R', 'S', 'Z'...
};
std::vector<ChildProcess> children_of(pid_t parent);
// The spawn helpers among a server's children, found by their command line.
std::vector<pid_t> spawn_helpers_of(pid_t server);
// How many descriptors a process has open (from /proc/PID/fd), -1 if unknown.
int open_descriptor_count(pid_t pid);
// The descriptor numbers a process has open, sorted.
std::vector<int> open_descriptors(pid_t pid);
// True if the process sleeps in a write to a full pipe (from /proc/PID/wchan;
// where the kernel hides wchan, any sleeping state counts).
bool blocked_writing_to_pipe(pid_t pid);
// The resident memory of a process in KiB (VmRSS), -1 if unknown.
long resident_kib(pid_t pid);
// What a process's descriptor points to ("pipe:[123]", "/dev/null"...).
std::string descriptor_target(pid_t pid, int fd);
// The command name of a process (/proc/PID/comm), "" if it is gone.
std::string process_name(pid_t pid);

// Kills (SIGKILL, by PID) every recorded process still running when it goes
// out of scope: a failing test must not leave a child or grandchild behind.
class PidCleanup {
 public:
  PidCleanup() = default;
  ~PidCleanup();
  PidCleanup(const PidCleanup&) = delete;
  PidCleanup& operator=(const PidCleanup&) = delete;
  void add(pid_t pid);

 private:
  std::vector<pid_t> pids_;
};

// Whole file as a string ("" if it cannot be read).
std::string read_file(const std::string& path);
std::vector<std::string> split_lines(std::string_view text);
std::vector<std::string> split_words(std::string_view text);
bool contains(std::string_view haystack, std::string_view needle);
bool contains_ignoring_case(std::string_view haystack, std::string_view needle);
// The value of key:'value' in a websocketd-style log context ("" if absent).
std::string log_field(std::string_view line, std::string_view key);
// Parses a decimal PID; 0 if the text is not one.
pid_t parse_pid(std::string_view text);
// The PID written (as the first word) into a file by a child; 0 if none yet.
pid_t read_pid_file(const std::string& path);

// A socket listening on 127.0.0.1:port for as long as it lives: to make a
// port busy.
class ListeningSocket {
 public:
  explicit ListeningSocket(std::uint16_t port);
  ~ListeningSocket();
  ListeningSocket(const ListeningSocket&) = delete;
  ListeningSocket& operator=(const ListeningSocket&) = delete;

 private:
  int fd_ = -1;
};

// A plain TCP connection for what a WebSocket client cannot do: garbage,
// hand-written requests, vanishing in the middle of a frame.
class RawConnection {
 public:
  // Connects to address:port (IPv4 or IPv6 literal) or throws.
  RawConnection(const std::string& address, std::uint16_t port, Millis timeout = Millis(3000));
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False if not everything could be written before the deadline.
  bool send_all(std::string_view data, Millis timeout = Millis(3000));
  // Reads until the text contains marker, the peer closes, or the deadline.
  std::string read_until(std::string_view marker, Millis timeout);
  // Reads until the peer closes the connection or the deadline passes;
  // *closed tells which.
  std::string read_until_closed(Millis timeout, bool* closed = nullptr);
  // Drops the connection with a TCP reset (SO_LINGER 0), like a crashed peer.
  void reset();

 private:
  int fd_ = -1;
};

// The status code of an HTTP response's status line, 0 if there is none.
int http_status_of(std::string_view response);

// The value of a header in an HTTP response head (case-insensitive name);
// nullopt if absent.
std::optional<std::string> http_header(std::string_view response, std::string_view name);

// A minimal valid WebSocket upgrade request, for raw connections.
std::string upgrade_request(const std::string& host, const std::string& target = "/");

}  // namespace wsexec_test
