#include "server/systemd_notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/limits.hpp"
#include "server/log.hpp"

namespace wsexec {
namespace {

using boost::system::error_code;

std::string connections_text(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " connection" : " connections");
}

// systemd (253 and later) pairs RELOADING=1 with the monotonic time the
// reload began, to tell this reload from an older one.
std::string monotonic_usec() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return std::to_string(static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                        static_cast<unsigned long long>(now.tv_nsec) / 1000);
}

}  // namespace

SystemdNotifier::SystemdNotifier(boost::asio::io_context& control,
                                 std::function<std::size_t()> live_connections,
                                 std::function<void(std::function<void()>)> probe_workers)
    : enabled_(std::getenv("NOTIFY_SOCKET") != nullptr),
      live_connections_(std::move(live_connections)),
      probe_workers_(std::move(probe_workers)),
      status_timer_(control),
      watchdog_timer_(control) {
  std::uint64_t usec = 0;
  // 0: the variables stay, the next sd_notify needs NOTIFY_SOCKET; children
  // do not see them (their environment is built from --passenv).
  if (enabled_ && sd_watchdog_enabled(0, &usec) > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);  // half, as systemd advises
  }
}

void SystemdNotifier::send(const std::string& message) const {
  if (!enabled_) return;
  const int result = sd_notify(0, message.c_str());
  // A notify socket that refuses us is not a reason to stop serving; the
  // unit's own timeouts will say what went wrong.
  if (result < 0) {
    log::write(LogLevel::debug, "server", {},
               std::string("sd_notify failed: ") + std::strerror(-result));
  }
}

void SystemdNotifier::ready() {
  if (!enabled_) return;
  reported_connections_ = live_connections_();
  send("READY=1\nSTATUS=Serving " + connections_text(*reported_connections_));
  schedule_status();
  if (watchdog_interval_.count() > 0) schedule_watchdog();
}

void SystemdNotifier::reloading() {
  send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec() + "\nSTATUS=Reloading TLS files");
}

void SystemdNotifier::reloaded() {
  if (!enabled_) return;
  reported_connections_ = live_connections_();
  send("READY=1\nSTATUS=Serving " + connections_text(*reported_connections_));
}

void SystemdNotifier::stopping() {
  if (!enabled_) return;
  stopping_ = true;
  reported_connections_ = live_connections_();
  send("STOPPING=1\nSTATUS=Stopping: " + connections_text(*reported_connections_) + " left");
}

void SystemdNotifier::cancel_timers() {
  status_timer_.cancel();
  watchdog_timer_.cancel();
}

void SystemdNotifier::send_status_if_changed() {
  const std::size_t count = live_connections_();
  if (reported_connections_ == count) return;
  reported_connections_ = count;
  send(stopping_ ? "STATUS=Stopping: " + connections_text(count) + " left"
                 : "STATUS=Serving " + connections_text(count));
}

void SystemdNotifier::schedule_status() {
  status_timer_.expires_after(limits::kNotifyStatusInterval);
  status_timer_.async_wait([this](error_code ec) {
    if (ec) return;
    send_status_if_changed();
    schedule_status();
  });
}

void SystemdNotifier::schedule_watchdog() {
  watchdog_timer_.expires_after(watchdog_interval_);
  watchdog_timer_.async_wait([this](error_code ec) {
    if (ec) return;
    // sd_notify opens its own socket per call: safe from any thread.
    probe_workers_([] { sd_notify(0, "WATCHDOG=1"); });
    schedule_watchdog();
  });
}

}  // namespace wsexec
