// A child that reads its stdin slowly: --chunk bytes at a time, then sleeps
// --delay-us microseconds; what it reads it writes back, unchanged. The
// slow-consumer scenario floods it.
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  std::size_t chunk = 4096;
  long delay_us = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--chunk") chunk = std::strtoul(argv[i + 1], nullptr, 10);
    if (name == "--delay-us") delay_us = std::strtol(argv[i + 1], nullptr, 10);
  }
  std::vector<char> buffer(chunk);
  const timespec pause{delay_us / 1000000, (delay_us % 1000000) * 1000};
  while (true) {
    const ssize_t n = ::read(0, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(1, buffer.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      done += w;
    }
    nanosleep(&pause, nullptr);
  }
}
