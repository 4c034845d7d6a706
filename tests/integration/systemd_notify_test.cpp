// Type=notify (issue 15, item 2): with NOTIFY_SOCKET set, wsexec tells the
// socket READY=1 once listening, RELOADING=1 then READY=1 around SIGHUP,
// STATUS= with the live connection count, WATCHDOG=1 when WATCHDOG_USEC is
// set, and STOPPING=1 on SIGTERM. The test plays systemd: a Unix datagram
// socket it reads.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness.hpp"

namespace wsexec_test {
namespace {

// A fake systemd notify socket: every datagram the server sends, in order.
class FakeNotifySocket {
 public:
  explicit FakeNotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("cannot bind the notify socket " + path);
    }
  }
  ~FakeNotifySocket() { ::close(fd_); }
  FakeNotifySocket(const FakeNotifySocket&) = delete;
  FakeNotifySocket& operator=(const FakeNotifySocket&) = delete;

  // The next datagram, or "" at the deadline.
  std::string next(Millis timeout) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buffer[4096];
    const ssize_t size = ::recv(fd_, buffer, sizeof buffer, 0);
    if (size <= 0) return "";
    received_.emplace_back(buffer, static_cast<std::size_t>(size));
    return received_.back();
  }

  // Reads until a datagram contains `fragment`; returns it, or "".
  std::string wait_for(const std::string& fragment, Millis timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left =
          std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      const std::string message = next(left);
      if (contains(message, fragment)) return message;
    }
    return "";
  }

  std::string transcript() const {
    std::string text;
    for (const auto& message : received_) text += "[" + message + "] ";
    return text;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

ServerOptions notifying(const FakeNotifySocket& notify, std::vector<std::string> args) {
  ServerOptions options;
  options.args = std::move(args);
  options.env.push_back({"NOTIFY_SOCKET", notify.path()});
  return options;
}

TEST(SystemdNotify, ReadyReloadingStatusAndStoppingInOrder) {
  TempDir dir;
  FakeNotifySocket notify(dir.file("notify"));
  ServerProcess server(notifying(notify, {"cat"}));

  const std::string ready = notify.next(10s);
  EXPECT_EQ(ready, "READY=1\nSTATUS=Serving 0 connections") << notify.transcript();

  auto client = connect_to(server);
  ASSERT_TRUE(client->send_text("one", 5s));
  ASSERT_TRUE(IsText(client->read(5s), "one"));
  // At most a second later the count is reported (a sample taken during
  // the upgrade may count the connection twice first).
  EXPECT_NE(notify.wait_for("STATUS=Serving 1 connection", 5s), "") << notify.transcript();

  server.send_signal(SIGHUP);
  const std::string reloading = notify.next(5s);
  EXPECT_TRUE(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC=")) << notify.transcript();
  EXPECT_EQ(notify.next(5s), "READY=1\nSTATUS=Serving 1 connection") << notify.transcript();

  server.send_signal(SIGTERM);
  EXPECT_EQ(notify.next(5s), "STOPPING=1\nSTATUS=Stopping: 1 connection left")
      << notify.transcript();
  EXPECT_TRUE(server.wait_exit(10s).has_value()) << server.diagnostics();
}

TEST(SystemdNotify, StatusIsNotSentWhileTheCountStaysTheSame) {
  TempDir dir;
  FakeNotifySocket notify(dir.file("notify"));
  ServerProcess server(notifying(notify, {"cat"}));
  ASSERT_FALSE(notify.wait_for("READY=1", 10s).empty()) << notify.transcript();
  EXPECT_EQ(notify.next(2500ms), "") << notify.transcript();
}

TEST(SystemdNotify, WatchdogIsPettedAtHalfTheInterval) {
  TempDir dir;
  FakeNotifySocket notify(dir.file("notify"));
  ServerOptions options = notifying(notify, {"cat"});
  options.env.push_back({"WATCHDOG_USEC", "400000"});  // 0.4 s: a ping every 0.2 s
  ServerProcess server(options);
  ASSERT_FALSE(notify.wait_for("READY=1", 10s).empty()) << notify.transcript();
  int pings = 0;
  const auto until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < until) {
    if (notify.next(500ms) == "WATCHDOG=1") ++pings;
  }
  // Seven expected in 1.5 s; a loaded machine may lose a few, none would
  // mean no watchdog.
  EXPECT_GE(pings, 4) << notify.transcript();
}

TEST(SystemdNotify, WithoutWatchdogUsecNoWatchdogMessage) {
  TempDir dir;
  FakeNotifySocket notify(dir.file("notify"));
  ServerProcess server(notifying(notify, {"cat"}));
  ASSERT_FALSE(notify.wait_for("READY=1", 10s).empty()) << notify.transcript();
  EXPECT_EQ(notify.wait_for("WATCHDOG=1", 1500ms), "") << notify.transcript();
}

}  // namespace
}  // namespace wsexec_test
