// --shared (broadcast): one program for every client of an endpoint
// (docs/shared.md): the order of its lines, whole lines from many clients,
// its exit and restart, --dir, binary mode and TLS.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "raw_ws.hpp"
#include "test_pki.hpp"

namespace wsexec_test {
namespace {

constexpr Millis kWait = 10000ms;
using Clock = std::chrono::steady_clock;

// Prints "PID:LINE" for each line, and exits 3 on "quit".
constexpr const char* kPidEcho =
    R"(while IFS= read -r line; do [ "$line" = quit ] && exit 3; echo "$$:$line"; done)";

// Reads messages until one equals `wanted`; false if the connection ends first.
bool read_until_text(WsClient& client, const std::string& wanted) {
  for (;;) {
    WsEvent event = client.read(kWait);
    if (!event.is_message()) return false;
    if (event.data == wanted) return true;
  }
}

// Connects `count` clients to a shared cat and makes sure each has joined
// the program: it sees its own hello come back.
std::vector<std::unique_ptr<WsClient>> joined_clients(const ServerProcess& server, int count,
                                                      const std::string& target = "/") {
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < count; ++i) {
    clients.push_back(connect_to(server, target));
    const std::string hello = "hello " + std::to_string(i);
    EXPECT_TRUE(clients.back()->send_text(hello));
    EXPECT_TRUE(read_until_text(*clients.back(), hello));
  }
  return clients;
}

TEST(SharedBroadcast, EveryClientReceivesEveryLineInTheSameOrder) {
  ServerProcess server({"--shared", "cat"});
  auto clients = joined_clients(server, 3);
  // The later clients' hellos were broadcast to the earlier ones: skip them.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(read_until_text(*clients[i], "hello 2")) << "client " << i;
  }
  constexpr int kLinesEach = 50;
  for (int n = 0; n < kLinesEach; ++n) {
    for (int i = 0; i < 3; ++i) clients[i]->queue_text(std::to_string(i) + "-" + std::to_string(n));
  }
  std::vector<std::vector<std::string>> received(3);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(clients[i]->flush(kWait));
  }
  for (int i = 0; i < 3; ++i) {
    while (received[i].size() < 3 * kLinesEach) {
      WsEvent event = clients[i]->read(kWait);
      ASSERT_TRUE(event.is_message()) << "client " << i << ": " << describe(event);
      received[i].push_back(event.data);
    }
  }
  EXPECT_EQ(received[0], received[1]);
  EXPECT_EQ(received[0], received[2]);
  // Each sender's lines keep the order it sent them in.
  for (int sender = 0; sender < 3; ++sender) {
    int next = 0;
    for (const auto& line : received[0]) {
      if (line.starts_with(std::to_string(sender) + "-")) {
        EXPECT_EQ(line, std::to_string(sender) + "-" + std::to_string(next++));
      }
    }
    EXPECT_EQ(next, kLinesEach);
  }
}

TEST(SharedBroadcast, LinesFromSeveralClientsNeverInterleave) {
  // Room for every echo: only one of the clients reads.
  ServerProcess server({"--shared", "--sendqueue=16777216", "cat"});
  auto clients = joined_clients(server, 3);
  // Each line is longer than a pipe's capacity, so a write of one client's
  // line that was not whole would show up as a mixed line.
  std::set<std::string> sent;
  for (int n = 0; n < 4; ++n) {
    for (int i = 0; i < 3; ++i) {
      std::string line(100'000, static_cast<char>('a' + i));
      line += std::to_string(n);
      sent.insert(line);
      clients[i]->queue_text(line);
    }
  }
  for (auto& client : clients) ASSERT_TRUE(client->flush(kWait));
  std::size_t long_lines = 0;
  while (long_lines < sent.size()) {
    WsEvent event = clients[0]->read(kWait);
    ASSERT_TRUE(event.is_message()) << describe(event) << server.diagnostics();
    if (event.data.size() < 100'000) continue;  // a hello
    EXPECT_TRUE(sent.count(event.data))
        << "a line that no client sent, of " << event.data.size() << " bytes";
    ++long_lines;
  }
}

TEST(SharedBroadcast, ExitClosesEveryClientWith1000AndTheStatusThenTheNextClientRestartsIt) {
  TempDir dir;
  ServerProcess server({"--shared", dir.write_script("pid_echo.sh", kPidEcho)});
  auto first = connect_to(server);
  auto second = connect_to(server);
  ASSERT_TRUE(first->send_text("one"));
  WsEvent echoed = first->read(kWait);
  ASSERT_TRUE(echoed.is_message()) << describe(echoed);
  const std::string old_pid = echoed.data.substr(0, echoed.data.find(':'));
  ASSERT_TRUE(read_until_text(*second, old_pid + ":one"));
  ASSERT_TRUE(second->send_text("quit"));
  for (auto* client : {first.get(), second.get()}) {
    Transcript rest = client->read_until_end(kWait);
    EXPECT_TRUE(IsClose(rest.end, 1000));
    EXPECT_EQ(rest.end.reason, "exit 3");
  }
  auto third = connect_to(server);
  ASSERT_TRUE(third->send_text("again"));
  WsEvent fresh = third->read(kWait);
  ASSERT_TRUE(fresh.is_message()) << describe(fresh);
  EXPECT_EQ(fresh.data.substr(fresh.data.find(':')), ":again");
  EXPECT_NE(fresh.data.substr(0, fresh.data.find(':')), old_pid) << "a new instance";
  EXPECT_TRUE(wait_until(
      [&] {
        const std::string log = server.log();
        return log.find("shared program started") != log.rfind("shared program started");
      },
      kWait))
      << server.log();
  EXPECT_NE(server.log().find("shared program ended: exit 3"), std::string::npos);
}

TEST(SharedBroadcast, TheProgramOutlivesItsLastClientAndCountsOnceTowardMaxforks) {
  TempDir dir;
  ServerProcess server({"--shared", "--maxforks=1", dir.write_script("pid_echo.sh", kPidEcho)});
  std::string pid;
  for (int round = 0; round < 2; ++round) {
    auto a = connect_to(server);
    auto b = connect_to(server);  // a second client needs no second slot
    ASSERT_TRUE(b->send_text("x"));
    WsEvent event = b->read(kWait);
    ASSERT_TRUE(event.is_message()) << describe(event) << server.diagnostics();
    const std::string now = event.data.substr(0, event.data.find(':'));
    if (round == 1) {
      EXPECT_EQ(now, pid) << "the same instance serves the next client";
    }
    pid = now;
    a->close();
    b->close();
  }
  EXPECT_TRUE(process_running(std::stoi(pid)));
}

TEST(SharedBroadcast, SharedIdleMsEndsTheProgramOnceItHasNoClients) {
  TempDir dir;
  ServerProcess server({"--shared", "--sharedidlems=200", dir.write_script("p.sh", kPidEcho)});
  auto client = connect_to(server);
  ASSERT_TRUE(client->send_text("x"));
  WsEvent event = client->read(kWait);
  ASSERT_TRUE(event.is_message()) << describe(event) << server.diagnostics();
  const pid_t pid = std::stoi(event.data.substr(0, event.data.find(':')));
  ASSERT_TRUE(process_running(pid));
  ASSERT_TRUE(client->close());
  EXPECT_TRUE(wait_until([&] { return !process_running(pid); }, kWait));
  EXPECT_NE(server.log().find("(--sharedidlems): ending"), std::string::npos) << server.log();
}

TEST(SharedBroadcast, EachScriptOfDirIsItsOwnSharedProgram) {
  TempDir dir;
  const std::string script = R"(while IFS= read -r line; do echo "$SCRIPT_NAME:$$:$line"; done)";
  dir.write_script("a.sh", script);
  dir.write_script("b.sh", script);
  ServerProcess server({"--shared", "--dir=" + dir.path()});
  auto a1 = connect_to(server, "/a.sh");
  auto a2 = connect_to(server, "/a.sh");
  auto b = connect_to(server, "/b.sh");
  ASSERT_TRUE(a1->send_text("to a"));
  WsEvent from_a = a2->read(kWait);  // a1's line reaches a2: one program
  ASSERT_TRUE(from_a.is_message()) << describe(from_a);
  EXPECT_TRUE(from_a.data.starts_with("/a.sh:")) << from_a.data;
  ASSERT_TRUE(b->send_text("to b"));
  WsEvent from_b = b->read(kWait);
  ASSERT_TRUE(from_b.is_message()) << describe(from_b);
  EXPECT_TRUE(from_b.data.starts_with("/b.sh:")) << from_b.data;
  EXPECT_TRUE(from_b.data.ends_with(":to b"));
  EXPECT_EQ(a2->read(300ms).kind, EventKind::timeout) << "b's line stays with b's clients";
}

TEST(SharedBroadcast, BinaryModeSendsEveryChunkToEveryClient) {
  ServerProcess server({"--shared", "--binary", "cat"});
  auto a = connect_to(server);
  auto b = connect_to(server);
  ASSERT_TRUE(wait_until(
      [&] { return server.log().find("CONNECT") != server.log().rfind("CONNECT"); }, kWait));
  const std::string payload("\x00\x01\xff binary", 10);
  ASSERT_TRUE(a->send_binary(payload));
  for (auto* client : {a.get(), b.get()}) {
    std::string got;
    while (got.size() < payload.size()) {
      WsEvent event = client->read(kWait);
      ASSERT_EQ(event.kind, EventKind::binary) << describe(event);
      got += event.data;
    }
    EXPECT_EQ(got, payload);
  }
}

// A shared program's output is framed once for all its clients
// (shared/shared_frames): every header length form (7-bit, 16-bit, 64-bit)
// and its edges arrive whole, as the same messages, at every client.
TEST(SharedBroadcast, LinesOfEveryFrameLengthReachEveryClientWhole) {
  TempDir dir;
  const std::vector<std::size_t> lengths = {0, 1, 125, 126, 127, 65535, 65536, 70000};
  std::string print_lengths;
  for (const std::size_t n : lengths) {
    print_lengths += "head -c " + std::to_string(n) + " /dev/zero | tr '\\0' x; echo; ";
  }
  // Echoes lines, and on "go" prints "start" then one line of each length.
  ServerProcess server({"--shared", dir.write_script("lengths.sh",
                                                     R"(while IFS= read -r line; do
           if [ "$line" = go ]; then echo start; )" + print_lengths +
                                                         R"(else echo "$line"; fi; done)")});
  auto clients = joined_clients(server, 2);
  ASSERT_TRUE(clients[0]->send_text("go"));
  for (auto& client : clients) {
    ASSERT_TRUE(read_until_text(*client, "start"));
    for (const std::size_t n : lengths) {
      WsEvent event = client->read(kWait);
      ASSERT_EQ(event.kind, EventKind::text) << describe(event);
      EXPECT_EQ(event.data, std::string(n, 'x'));
    }
  }
}

// A shared client's lines are written straight through the corked layer
// (shared_session.cpp, send_next) while Beast answers the client's pings
// on the same socket: every pong must land between whole frames, and
// every line and every pong arrive, each in its order. With the corked
// layer of c143b70 (which handed a write_some on and forgot it) this fails
// at about line 36,000: the socket is full, a write is only partly sent,
// and the stream breaks.
TEST(SharedBroadcast, PongsLandBetweenWholeFramesOfAFloodOfLines) {
  constexpr int kLines = 200000;
  const std::string padding(100, 'x');  // 20 MB in all: more than the sockets hold
  constexpr int kPings = 300;
  // A queue large enough that the client is never dropped for falling
  // behind while it does not read.
  ServerProcess server({"--shared", "--sendqueue=67108864", "sh", "-c",
                        "while IFS= read -r line; do [ \"$line\" = go ] && seq -f 'line %g " +
                            padding + "' 1 " + std::to_string(kLines) + "; done"});
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(client->send_frame({.opcode = opcode::text, .payload = "go"}));
  // One ping at a time from another thread while this one reads, so that
  // they arrive all along the flood.
  std::atomic<bool> all_sent{true};
  std::thread sender([&] {
    for (int i = 0; i < kPings; ++i) {
      if (!client->send_frame({.opcode = opcode::ping, .payload = "ping " + std::to_string(i)})) {
        all_sent = false;
        return;
      }
      std::this_thread::sleep_for(1ms);
    }
  });
  // Not reading at first: the socket fills, so the server's writes are
  // partly sent and the pongs meet writes still in progress.
  std::this_thread::sleep_for(500ms);
  int lines = 0;
  int lines_in_order = 0;
  int pongs = 0;
  int pongs_in_order = 0;
  const auto deadline = Clock::now() + 30s;
  while ((lines < kLines || pongs < kPings) && Clock::now() < deadline) {
    ReadResult read = client->read_frame(5s);
    if (read.end != ReadEnd::frame) break;
    if (read.frame.opcode == opcode::pong) {
      pongs_in_order += read.frame.payload == "ping " + std::to_string(pongs);
      ++pongs;
    } else if (read.frame.opcode == opcode::text) {
      ++lines;
      lines_in_order += read.frame.payload == "line " + std::to_string(lines) + " " + padding;
    } else {
      ADD_FAILURE() << "unexpected " << describe(read.frame);
      break;
    }
  }
  sender.join();
  EXPECT_TRUE(all_sent);
  EXPECT_EQ(lines, kLines);
  EXPECT_EQ(lines_in_order, kLines);
  EXPECT_EQ(pongs, kPings);
  EXPECT_EQ(pongs_in_order, kPings);
}

// A server shutting down closes a shared client that is behind with 1001
// once the write on its socket is done, as it closes a per-connection
// session: it does not first write everything still queued for it. The
// close used to wait for the writer's gate while the direct send took the
// gate again as each of its writes completed, so every queued line went
// out first (all 40,040 here: 40 MB in lines of 999 bytes).
TEST(SharedBroadcast, AShutdownClosesAClientThatIsBehindWithoutWritingItsWholeQueueFirst) {
  constexpr int kLines = 40000;  // about: 40 MB, far more than the sockets hold
  ServerProcess server({"--shared", "--sendqueue=67108864", "sh", "-c",
                        "read -r go; head -c " + std::to_string(kLines * 1000) +
                            " /dev/zero | tr '\\0' x | fold -w 999; exec sleep 60"});
  auto client = RawWsConnection::upgraded(server.port());
  ASSERT_TRUE(client->send_frame({.opcode = opcode::text, .payload = "go"}));
  // Not reading: the sockets fill and the rest of the lines queue up.
  std::this_thread::sleep_for(2s);
  server.send_signal(SIGTERM);
  int lines = 0;
  int close_code = 0;
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    ReadResult read = client->read_frame(5s);
    if (read.end != ReadEnd::frame) break;
    if (read.frame.opcode == opcode::close) {
      close_code = read.frame.close_code();
      break;
    }
    ASSERT_EQ(read.frame.opcode, opcode::text) << describe(read.frame);
    ++lines;
  }
  EXPECT_EQ(close_code, 1001) << "after " << lines << " lines\n" << server.diagnostics();
  // What the sockets held and the write in progress, not the whole queue.
  EXPECT_LT(lines, kLines / 2) << "lines before the close";
  EXPECT_TRUE(server.wait_exit(10s).has_value()) << server.diagnostics();
}

TEST(SharedBroadcast, PassstderrBroadcastsTaggedStderrLines) {
  TempDir dir;
  ServerProcess server({"--shared", "--passstderr",
                        dir.write_script("err.sh", R"(read -r line; echo "to err: $line" >&2)")});
  auto a = connect_to(server);
  ASSERT_TRUE(a->send_text("hi"));
  EXPECT_TRUE(IsText(a->read(kWait), R"({"stream":"stderr","data":"to err: hi"})"));
}

TEST(SharedBroadcast, WorksOverTls) {
  TestPki& pki = shared_pki();
  ServerOptions options;
  options.args = {"--ssl", "--sslcert=" + pki.server.certificate, "--sslkey=" + pki.server.key,
                  "--shared", "cat"};
  options.startup_timeout = 20000ms;
  ServerProcess server(options);
  ConnectOptions connect = client_options(server);
  connect.tls = TlsOptions{};
  connect.tls->ca_file = pki.ca_certificate;
  auto a = WsClient::connect(connect);
  auto b = WsClient::connect(connect);
  ASSERT_TRUE(a->send_text("over tls"));
  EXPECT_TRUE(read_until_text(*b, "over tls"));
}

TEST(SharedBroadcast, TheLogNamesTheProgramsPidForEachClient) {
  ServerProcess server({"--shared", "cat"});
  auto a = connect_to(server);
  ASSERT_TRUE(a->send_text("x"));
  ASSERT_TRUE(a->read(kWait).is_message());
  ASSERT_TRUE(a->close());
  auto started = server.wait_for_log_line({"shared program started"});
  ASSERT_TRUE(started.has_value()) << server.diagnostics();
  const std::string pid = log_field(*started, "pid");
  ASSERT_FALSE(pid.empty()) << *started;
  auto connect = server.wait_for_log_line({"| CONNECT"});
  auto disconnect = server.wait_for_log_line({"| DISCONNECT"});
  ASSERT_TRUE(connect && disconnect) << server.diagnostics();
  EXPECT_EQ(log_field(*connect, "pid"), pid);
  EXPECT_EQ(log_field(*disconnect, "pid"), pid);
}

}  // namespace
}  // namespace wsexec_test
