#pragma once
// Type=notify: tells systemd, through libsystemd's sd_notify, when the
// server is ready, reloading and stopping, how many connections it serves
// (STATUS=), and that it is alive (WATCHDOG=1, when the unit sets
// WatchdogSec). Without NOTIFY_SOCKET in the environment every call is a
// no-op and no timer runs.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace wsexec {

class SystemdNotifier {
 public:
  // Everything runs on `control` (the server's main loop). `live_connections`
  // counts the connections now; `probe_workers(done)` must call `done` (on
  // any thread) once every worker's event loop has run a task, which proves
  // they still turn: only then is WATCHDOG=1 sent.
  SystemdNotifier(boost::asio::io_context& control, std::function<std::size_t()> live_connections,
                  std::function<void(std::function<void()>)> probe_workers);

  void ready();          // READY=1 with a first STATUS=, then the periodic timers
  void reloading();      // RELOADING=1 (SIGHUP)
  void reloaded();       // READY=1 after a reload
  void stopping();       // STOPPING=1: from the first SIGTERM/SIGINT on
  void cancel_timers();  // lets the control loop end

 private:
  void send(const std::string& message) const;
  void send_status_if_changed();
  void schedule_status();
  void schedule_watchdog();

  bool enabled_;
  bool stopping_ = false;
  std::function<std::size_t()> live_connections_;
  std::function<void(std::function<void()>)> probe_workers_;
  std::optional<std::size_t> reported_connections_;
  boost::asio::steady_timer status_timer_;
  boost::asio::steady_timer watchdog_timer_;
  std::chrono::microseconds watchdog_interval_{0};  // 0: no watchdog
};

}  // namespace wsexec
