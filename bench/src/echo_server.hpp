// A trivial WebSocket echo server run inside the bench process, on its own
// thread: the same scenarios against it give the load client's ceiling.
// It echoes each frame as it is (text or binary), in batches: per read of
// the socket, one write back.
#pragma once

#include <memory>

namespace bench {

class EchoServer {
 public:
  explicit EchoServer(unsigned short port);  // listens on 127.0.0.1:port at once
  ~EchoServer();                             // stops and joins
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bench
