// What every part of the bench shares: options, results as one JSON line,
// statistics, a watchdog timer and a group of tasks to wait for.
#pragma once

#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start);

// --name value / --name=value options after the scenario name.
class Options {
 public:
  Options(int argc, char** argv, int first);
  std::string get(const std::string& name, const std::string& fallback) const;
  long long get_int(const std::string& name, long long fallback) const;
  double get_double(const std::string& name, double fallback) const;
  bool flag(const std::string& name) const;

 private:
  std::map<std::string, std::string> values_;
};

// One result: printed as a single JSON object on one line.
class Result {
 public:
  explicit Result(std::string scenario);
  void set(const std::string& key, double value);
  template <std::integral T>
  void set(const std::string& key, T value) {
    set_integer(key, static_cast<long long>(value));
  }
  void set(const std::string& key, const std::string& value);
  void set(const std::string& key, const char* value) { set(key, std::string(value)); }
  // "ok" unless stall() or fail() was called.
  void stall(const std::string& why);
  void fail(const std::string& why);
  std::string status() const { return status_; }
  std::string json() const;
  int exit_code() const;

 private:
  void set_integer(const std::string& key, long long value);
  std::vector<std::pair<std::string, std::string>> fields_;  // key, JSON value
  std::string status_ = "ok";
};

// Percentile (0..100) of values, by nearest rank on a sorted copy.
double percentile(std::vector<double> values, double p);

// Runs a callback after a delay unless disarmed (or destroyed) first.
class Watchdog {
 public:
  Watchdog(asio::any_io_executor executor, Clock::duration after, std::function<void()> fire);
  ~Watchdog();
  void disarm();

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> armed_;
};

// A one-shot or repeatable wake-up for a coroutine that waits on a
// condition another coroutine of the same thread changes.
class Signal {
 public:
  explicit Signal(asio::any_io_executor executor);
  asio::awaitable<void> wait();  // until notify() (or at once if notified since)
  void notify();

 private:
  asio::steady_timer timer_;
  bool waiting_ = false;
  bool pending_ = false;
};

// Coroutines started together; wait() returns when all have ended.
// The first exception's message is kept.
class TaskGroup {
 public:
  explicit TaskGroup(asio::any_io_executor executor);
  void spawn(asio::awaitable<void> task);
  asio::awaitable<void> wait();
  std::size_t failures() const { return failures_; }
  const std::string& first_error() const { return first_error_; }
  std::size_t live() const { return live_; }

 private:
  asio::any_io_executor executor_;
  Signal done_;
  std::size_t live_ = 0;
  std::size_t failures_ = 0;
  std::string first_error_;
};

asio::awaitable<void> sleep_for(Clock::duration duration);

// /proc readings of a process (the server under test).
struct ProcessSample {
  long rss_kib = -1;          // VmRSS of the process itself
  long fds = -1;              // entries in /proc/PID/fd
  long children = 0;          // direct children running programs (child_pids)
  long children_pss_kib = 0;  // sum of their PSS (smaps_rollup)
};
long rss_kib(pid_t pid);
long fd_count(pid_t pid);
// The direct children that run programs: wsexec's spawn helpers left out.
std::vector<pid_t> child_pids(pid_t pid);
long pss_kib(pid_t pid);
ProcessSample sample_process(pid_t pid, bool with_children);

// Raises RLIMIT_NOFILE's soft limit to the hard one; returns the new limit.
long raise_fd_limit();

}  // namespace bench

namespace bench {

// Calls on_stall once when progress() has not changed for `limit`
// (checked every 100 ms) while the guard lives.
class StallGuard {
 public:
  StallGuard(asio::any_io_executor executor, Clock::duration limit,
             std::function<long long()> progress, std::function<void()> on_stall);
  ~StallGuard();
  StallGuard(const StallGuard&) = delete;
  StallGuard& operator=(const StallGuard&) = delete;
  bool stalled() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace bench
