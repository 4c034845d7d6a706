#include "process/child_reaper.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "process/program_start.hpp"

namespace wsexec {
namespace {

struct KilledChild {
  pid_t pid;
  OwnedFd pidfd;
};

// The thread and its list. Made on first use and never destroyed: the
// thread may be waiting when static destructors run at exit. Children still
// listed then are left to whoever reaps our orphans (init or a subreaper).
class Reaper {
 public:
  Reaper() : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wake_) throw std::system_error(errno, std::system_category(), "eventfd");
    std::thread([this] { run(); }).detach();
  }

  void add(pid_t pid, OwnedFd pidfd) {
    {
      std::lock_guard lock(mutex_);
      arrivals_.push_back({pid, std::move(pidfd)});
    }
    const std::uint64_t one = 1;
    // A full counter (never, at 2^64 - 2) would still leave the thread awake.
    [[maybe_unused]] const ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
  }

 private:
  // Children without a pidfd are polled at this pace.
  static constexpr int kPollWithoutPidfdMs = 100;

  void run() {
    std::vector<KilledChild> waiting;
    std::vector<pollfd> watched;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        for (auto& arrival : arrivals_) waiting.push_back(std::move(arrival));
        arrivals_.clear();
      }
      reap_exited(waiting);
      watched.assign(1, pollfd{wake_.get(), POLLIN, 0});
      bool any_without_pidfd = false;
      for (const auto& child : waiting) {
        watched.push_back(pollfd{child.pidfd.get(), POLLIN, 0});  // -1 is skipped by poll
        any_without_pidfd |= !child.pidfd;
      }
      ::poll(watched.data(), watched.size(), any_without_pidfd ? kPollWithoutPidfdMs : -1);
      std::uint64_t count;
      [[maybe_unused]] const ssize_t ignored = ::read(wake_.get(), &count, sizeof count);
    }
  }

  // WNOHANG on each: cheaper than matching poll's answers to the list, and
  // a list of killed children is short.
  static void reap_exited(std::vector<KilledChild>& waiting) {
    std::erase_if(waiting, [](const KilledChild& child) {
      pid_t got;
      do {
        got = ::waitpid(child.pid, nullptr, WNOHANG);
      } while (got < 0 && errno == EINTR);
      // ECHILD: someone reaped it after all; nothing left to wait for.
      return got == child.pid || (got < 0 && errno == ECHILD);
    });
  }

  OwnedFd wake_;
  std::mutex mutex_;
  std::vector<KilledChild> arrivals_;
};

}  // namespace

void reap_in_background(pid_t pid, OwnedFd pidfd) noexcept {
  try {
    static Reaper& reaper = *new Reaper;
    reaper.add(pid, std::move(pidfd));
  } catch (...) {
    // Out of memory or threads: blocking here is the lesser evil than a
    // zombie for the server's whole life.
    kill_group_and_reap(pid);
  }
}

}  // namespace wsexec
