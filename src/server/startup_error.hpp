#pragma once
#include <stdexcept>

namespace wsexec {

// A start-up failure after the command line was accepted (a port in use, an
// unreadable certificate): one sentence naming the problem; main exits 1.
class StartupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace wsexec
