// Which listener each socket passed by systemd replaces: by name first
// (FileDescriptorName=endpoint, redirect, unix), else by port or path, and
// a clear refusal for a socket that matches nothing.
#include "core/activation_plan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsexec {
namespace {

Config configured(const std::vector<std::string>& options) {
  std::vector<std::string> args = options;
  args.push_back("cat");
  return parse_command_line(args).config;
}

PassedSocket tcp(unsigned port, std::string name = "unknown") {
  PassedSocket socket;
  socket.kind = PassedSocket::Kind::tcp;
  socket.port = port;
  socket.name = std::move(name);
  socket.description = "tcp 127.0.0.1:" + std::to_string(port);
  return socket;
}

PassedSocket unix_at(std::string path, std::string name = "unknown") {
  PassedSocket socket;
  socket.kind = PassedSocket::Kind::unix_stream;
  socket.path = path;
  socket.name = std::move(name);
  socket.description = "unix " + path;
  return socket;
}

std::string mismatch_of(const std::vector<PassedSocket>& sockets, const Config& config) {
  try {
    plan_activation(sockets, config);
  } catch (const ActivationMismatch& e) {
    return e.what();
  }
  return "(matched)";
}

TEST(ActivationPlan, NoSocketsReplaceNothing) {
  const ActivationPlan plan = plan_activation({}, configured({"--port=8080"}));
  EXPECT_TRUE(plan.roles.empty());
  EXPECT_FALSE(plan.has(PassedRole::endpoint));
}

TEST(ActivationPlan, UnnamedTcpSocketsAreMatchedByPort) {
  const Config config = configured({"--port=8080", "--redirport=8081"});
  const ActivationPlan plan = plan_activation({tcp(8081), tcp(8080), tcp(8080)}, config);
  EXPECT_EQ(plan.roles,
            (std::vector{PassedRole::redirect, PassedRole::endpoint, PassedRole::endpoint}));
}

TEST(ActivationPlan, NamesWinOverPorts) {
  const Config config = configured({"--port=8080", "--redirport=8081"});
  const ActivationPlan plan =
      plan_activation({tcp(9000, "endpoint"), tcp(8080, "redirect")}, config);
  EXPECT_EQ(plan.roles, (std::vector{PassedRole::endpoint, PassedRole::redirect}));
}

TEST(ActivationPlan, AUnixSocketReplacesUnixsocketByPathOrName) {
  const Config config = configured({"--unixsocket=/run/ws.sock", "--port=8080"});
  EXPECT_EQ(plan_activation({unix_at("/run/ws.sock"), tcp(8080)}, config).roles,
            (std::vector{PassedRole::unix_socket, PassedRole::endpoint}));
  EXPECT_EQ(plan_activation({unix_at("/elsewhere.sock", "unix")}, config).roles,
            (std::vector{PassedRole::unix_socket}));
}

TEST(ActivationPlan, ATcpSocketOnAnotherPortIsRefusedNamingBothPorts) {
  const std::string message = mismatch_of({tcp(9000)}, configured({"--port=8080"}));
  EXPECT_NE(message.find("tcp 127.0.0.1:9000"), std::string::npos) << message;
  EXPECT_NE(message.find("--port is 8080"), std::string::npos) << message;
  EXPECT_NE(message.find("FileDescriptorName=endpoint"), std::string::npos) << message;
}

TEST(ActivationPlan, AnUnnamedTcpSocketIsRefusedWhenOnlyAUnixSocketIsConfigured) {
  const std::string message = mismatch_of({tcp(80)}, configured({"--unixsocket=/run/ws.sock"}));
  EXPECT_NE(message.find("no --port is given"), std::string::npos) << message;
}

TEST(ActivationPlan, AUnixSocketNeedsUnixsocketAndTheSamePath) {
  EXPECT_NE(mismatch_of({unix_at("/run/ws.sock")}, configured({"--port=8080"}))
                .find("no --unixsocket=PATH is given"),
            std::string::npos);
  EXPECT_NE(mismatch_of({unix_at("/run/other.sock")}, configured({"--unixsocket=/run/ws.sock"}))
                .find("its path is not --unixsocket /run/ws.sock"),
            std::string::npos);
}

TEST(ActivationPlan, ASecondUnixSocketIsRefused) {
  const Config config = configured({"--unixsocket=/run/ws.sock"});
  const std::string message =
      mismatch_of({unix_at("/run/ws.sock"), unix_at("/run/ws.sock", "unix")}, config);
  EXPECT_NE(message.find("second Unix socket"), std::string::npos) << message;
}

TEST(ActivationPlan, ADatagramOrNonSocketDescriptorIsRefused) {
  PassedSocket datagram;
  datagram.name = "stats";
  datagram.description = "descriptor 3";
  const std::string message = mismatch_of({datagram}, configured({"--port=8080"}));
  EXPECT_NE(message.find("descriptor 3, named \"stats\""), std::string::npos) << message;
  EXPECT_NE(message.find("ListenStream="), std::string::npos) << message;
}

}  // namespace
}  // namespace wsexec
