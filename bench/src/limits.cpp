#include "limits.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "child_pipes.hpp"
#include "process/spawn_helpers.hpp"

namespace bench {
namespace {

// A thread that closes stdin and reaps children handed to it, so that the
// spawning loop measures spawn + echo alone (a server reaps off the
// critical path too).
class Reaper {
 public:
  Reaper() : thread_([this] { run(); }) {}
  ~Reaper() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  void hand_over(Child child) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(child);
    }
    wake_.notify_one();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      Child child = queue_.front();
      queue_.pop_front();
      lock.unlock();
      reap(child);
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Child> queue_;
  bool done_ = false;
  std::thread thread_;
};

// One cycle: spawn, echo one line, then close stdin and reap (here, or by
// the reaper thread when there is one).
void spawn_echo_reap(const std::string& command, Launcher launcher, Reaper* reaper = nullptr) {
  Child child = spawn_child(command, launcher);
  write_all(child.in, "x\n", 2);
  char reply[8];
  std::size_t got = 0;
  while (got < 2) {
    const ssize_t n = ::read(child.out, reply + got, sizeof reply - got);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      reap(child);
      throw std::runtime_error("the child did not echo");
    }
    got += static_cast<std::size_t>(n);
  }
  if (reaper != nullptr) {
    reaper->hand_over(child);
    return;
  }
  ::close(child.in);
  child.in = -1;
  reap(child);
}

}  // namespace

Result run_limit_spawn(const Options& options) {
  Result result("limit-spawn");
  const std::string command = options.get("command", "/bin/cat");
  const double seconds = options.get_double("seconds", 3.0);
  const int threads = static_cast<int>(options.get_int("threads", 1));
  const bool reap_later = options.flag("reap-later");
  const std::string launcher_name = options.get("launcher", "direct");
  const Launcher launcher = parse_launcher(launcher_name);
  // The helpers start as the server starts them: before the descriptors
  // below exist, one per spawning thread.
  if (launcher == Launcher::helper) {
    std::error_code error;
    if (!wsexec::spawn_helpers().start(static_cast<std::size_t>(threads), "/proc/self/exe", {},
                                       error)) {
      throw std::runtime_error("cannot start the spawn helpers: " + error.message());
    }
  }
  std::unique_ptr<Reaper> reaper;
  if (reap_later) reaper = std::make_unique<Reaper>();
  // A server with many connections spawns with many descriptors open: the
  // child's copy of the table and closefrom() cost in proportion.
  const long open_fds = static_cast<long>(options.get_int("open-fds", 0));
  std::vector<int> ballast;
  if (open_fds > 0) {
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sockets) != 0) throw std::runtime_error("socketpair");
    ballast.push_back(sockets[0]);
    ballast.push_back(sockets[1]);
    while (static_cast<long>(ballast.size()) < open_fds) {
      const int fd = ::dup(sockets[0]);
      if (fd < 0) throw std::runtime_error(std::string("dup: ") + std::strerror(errno));
      ballast.push_back(fd);
    }
  }
  std::atomic<long long> cycles{0};
  std::atomic<bool> stop{false};
  std::string error;
  std::mutex error_mutex;
  spawn_echo_reap(command, launcher);  // warm the page cache
  const auto start = Clock::now();
  std::vector<std::thread> loops;
  for (int t = 0; t < threads; ++t) {
    loops.emplace_back([&] {
      try {
        while (!stop.load(std::memory_order_relaxed)) {
          spawn_echo_reap(command, launcher, reaper.get());
          cycles.fetch_add(1, std::memory_order_relaxed);
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(error_mutex);
        error = e.what();
        stop = true;
      }
    });
  }
  while (seconds_since(start) < seconds && !stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  for (auto& loop : loops) loop.join();
  const double elapsed = seconds_since(start);
  reaper.reset();  // reaps what is left
  result.set("command", command);
  result.set("threads", threads);
  result.set("reap_later", reap_later ? 1 : 0);
  result.set("open_fds", open_fds);
  result.set("launcher", launcher_name);
  wsexec::spawn_helpers().stop();
  for (int fd : ballast) ::close(fd);
  result.set("cycles", cycles.load());
  result.set("seconds", elapsed);
  result.set("spawns_per_s", static_cast<double>(cycles.load()) / elapsed);
  if (!error.empty()) result.fail(error);
  return result;
}

Result run_limit_pipe(const Options& options) {
  Result result("limit-pipe");
  const std::size_t size = static_cast<std::size_t>(options.get_int("size", 64 * 1024));
  const double seconds = options.get_double("seconds", 3.0);
  const double warmup = options.get_double("warmup", 0.3);
  Child child = spawn_child(options.get("command", "/bin/cat"));
  std::atomic<bool> stop{false};
  std::atomic<long long> bytes{0};
  std::thread writer([&] {
    std::vector<char> chunk(size, 'z');
    try {
      while (!stop.load(std::memory_order_relaxed)) write_all(child.in, chunk.data(), size);
    } catch (const std::exception&) {
    }
    ::close(child.in);
    child.in = -1;
  });
  std::thread reader([&] {
    std::vector<char> buffer(1024 * 1024);
    while (true) {
      const ssize_t n = ::read(child.out, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      bytes.fetch_add(n, std::memory_order_relaxed);
    }
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  const long long bytes0 = bytes.load();
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const long long moved = bytes.load() - bytes0;
  const double elapsed = seconds_since(start);
  stop = true;
  writer.join();
  reader.join();
  reap(child);
  result.set("size", size);
  result.set("seconds", elapsed);
  result.set("bytes", moved);
  result.set("mb_per_s", static_cast<double>(moved) / elapsed / 1e6);
  return result;
}

Result run_limit_pipe_rtt(const Options& options) {
  Result result("limit-pipe-rtt");
  const long count = static_cast<long>(options.get_int("count", 2000));
  const long warmup = static_cast<long>(options.get_int("warmup", 100));
  const std::size_t size = static_cast<std::size_t>(options.get_int("size", 64));
  Child child = spawn_child(options.get("command", "/bin/cat"));
  std::string line(size, 'r');
  line.push_back('\n');
  std::vector<char> reply(line.size());
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(count));
  try {
    for (long i = 0; i < warmup + count; ++i) {
      const auto start = Clock::now();
      write_all(child.in, line.data(), line.size());
      std::size_t got = 0;
      while (got < line.size()) {
        const ssize_t n = ::read(child.out, reply.data() + got, reply.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error("the child did not echo");
        got += static_cast<std::size_t>(n);
      }
      if (i >= warmup) micros.push_back(seconds_since(start) * 1e6);
    }
  } catch (const std::exception& e) {
    result.fail(e.what());
  }
  reap(child);
  result.set("round_trips", micros.size());
  result.set("us_p50", percentile(micros, 50));
  result.set("us_p90", percentile(micros, 90));
  result.set("us_p99", percentile(micros, 99));
  result.set("us_max", percentile(micros, 100));
  return result;
}

}  // namespace bench
