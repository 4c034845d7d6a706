// The floor under the churn scenario: the least any server must do to
// serve a WebSocket connection with a child of its own, and nothing else.
//
// One thread, blocking calls, one connection at a time: accept, read the
// upgrade request, send the 101, spawn the command (after the 101, so the
// client's turn overlaps the spawn), then for each message write it as a
// line to the child and send back the line it prints; on the client's
// close, reply and close the socket (not waiting for the client's EOF: a
// server with an event loop accepts the next connection meanwhile). The
// child's stdin is closed then and the child is reaped later, off the
// critical path.
// No event loop, no other thread, no timers, no logging: a real server
// does all of this and more, so for a serial client (churn) no server can
// be faster. It serves one connection at a time, so it is no floor for
// concurrent scenarios (a storm would wait on its first connection). It
// understands only what the bench's client sends. Stopping wakes a blocked
// accept; a client that is connected and silent keeps it waiting.
#pragma once

#include <memory>
#include <string>

namespace bench {

class FloorServer {
 public:
  // Listens on 127.0.0.1:port at once; serves on its own thread.
  FloorServer(unsigned short port, std::string command);
  ~FloorServer();  // stops and joins; reaps every child
  FloorServer(const FloorServer&) = delete;
  FloorServer& operator=(const FloorServer&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bench
