#pragma once
// What a shared program knows of each of its clients, and what it tells
// them. The program lives on one worker, its clients on any; it never
// touches a client directly: it posts to the client's executor and the
// client, on its own thread, is called through this interface (and the
// other way round). So nothing is locked per message, and each side's
// state is touched by its own thread only.
#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace wsexec {

// One piece of the program's output, for every client connected when it
// was read (or, addressed, for those it names). Made once, shared by all
// of them and never changed: a broadcast is one buffer, not one per client.
struct SharedOutput {
  std::vector<std::string> messages;
  std::size_t bytes = 0;  // of all messages: what it adds to a client's send queue
  bool binary = false;
  // The messages as WebSocket frames, encoded once for every client
  // (shared/shared_frames); empty when each client's Beast must write them
  // itself (--compress: each client compresses with its own context).
  std::string frames;
};
using SharedOutputPtr = std::shared_ptr<const SharedOutput>;

class SharedClient {
 public:
  // Each is called on the client's own executor.
  // The program runs (its pid for the log): the client may send.
  virtual void program_running(pid_t pid) = 0;
  virtual void deliver(SharedOutputPtr output) = 0;
  // This many of the client's bytes reached the program's stdin (or were
  // dropped because it is gone): room for more.
  virtual void input_written(std::size_t bytes) = 0;
  // The program ended, could not start, or (addressed) closed this client.
  virtual void closed_by_program(std::uint16_t code, std::string reason) = 0;

 protected:
  ~SharedClient() = default;
};

// How a program reaches one client. Weak: a client that is gone is gone,
// whatever the program still has to say to it.
struct SharedClientHandle {
  std::uint64_t id = 0;
  std::weak_ptr<SharedClient> client;
  boost::asio::any_io_executor executor;
  std::string open_event;  // addressed mode: the program's "open" line for it
};

}  // namespace wsexec
