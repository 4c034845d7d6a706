#include "shared_scenarios.hpp"

#include "scenarios.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <charconv>
#include <memory>

namespace bench {
namespace {

using std::chrono::milliseconds;

long long now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// Connects `clients` (made on `executor`), `parallel` at a time; returns how many failed.
asio::awaitable<std::size_t> connect_all(std::vector<std::unique_ptr<WsClient>>& clients,
                                         const Target& target, std::size_t parallel,
                                         std::string& first_error) {
  const auto executor = co_await asio::this_coro::executor;
  std::size_t next = 0;
  std::size_t failed = 0;
  TaskGroup workers(executor);
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < clients.size()) {
      const std::size_t i = next++;
      try {
        co_await clients[i]->connect(target);
      } catch (const std::exception& e) {
        ++failed;
        if (first_error.empty()) first_error = e.what();
        clients[i].reset();
      }
    }
  };
  for (std::size_t w = 0; w < parallel; ++w) workers.spawn(worker());
  co_await workers.wait();
  co_return failed;
}

// Coroutines are functions, not capturing lambdas: a lambda's captures
// would die with the temporary that started the coroutine.
asio::awaitable<void> read_stamped(WsClient& ws, long messages, long& received,
                                   std::vector<double>& latencies_ms, std::size_t& errors) {
  try {
    while (received < messages) {
      const Message message = co_await ws.read_message(true);
      if (message.opcode == Opcode::close) throw std::runtime_error("closed");
      const auto space = message.payload.find(' ');
      long long sent = 0;
      std::from_chars(message.payload.data() + space + 1,
                      message.payload.data() + message.payload.size(), sent);
      latencies_ms.push_back(static_cast<double>(now_ns() - sent) / 1e6);
      ++received;
    }
  } catch (const std::exception&) {
    ++errors;
  }
}

asio::awaitable<void> count_messages(WsClient& ws, const bool& counting, long long& total,
                                     std::size_t& closed) {
  try {
    for (;;) {
      const Message message = co_await ws.read_message(false);
      if (message.opcode == Opcode::close) {
        ++closed;
        co_return;
      }
      total += counting;
    }
  } catch (const std::exception&) {
    // aborted at the end of the measurement
  }
}

}  // namespace

Result run_shared_fanout(const Options& options, const Target& target) {
  return run_on_loop("shared-fanout", [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const std::size_t conns = static_cast<std::size_t>(options.get_int("conns", 1000));
    const long interval_ms = static_cast<long>(options.get_int("interval-ms", 100));
    const double seconds = options.get_double("seconds", 0);
    long messages = static_cast<long>(options.get_int("messages", 20));
    messages = std::max<long>(messages, static_cast<long>(seconds * 1000 / interval_ms));
    const pid_t pid = static_cast<pid_t>(options.get_int("server-pid", 0));
    result.set("conns", conns);
    result.set("messages", messages);

    const ProcessSample base = pid > 0 ? sample_process(pid, true) : ProcessSample{};
    std::vector<std::unique_ptr<WsClient>> clients;
    for (std::size_t i = 0; i < conns; ++i) clients.push_back(std::make_unique<WsClient>(executor));
    std::string first_error;
    const auto open_start = Clock::now();
    const std::size_t failed = co_await connect_all(
        clients, target, static_cast<std::size_t>(options.get_int("parallel", 64)), first_error);
    result.set("open_seconds", seconds_since(open_start));
    result.set("opened", conns - failed);
    if (!clients[0])
      throw std::runtime_error("the sending client could not connect: " + first_error);
    co_await sleep_for(milliseconds(1000));  // every join has reached the program
    const ProcessSample held = pid > 0 ? sample_process(pid, true) : ProcessSample{};

    // Every client reads every line: "SEQ SENT_NS".
    std::vector<double> latencies_ms;
    latencies_ms.reserve(conns * static_cast<std::size_t>(messages));
    std::vector<long> received(conns, 0);
    std::size_t read_errors = 0;
    TaskGroup readers(executor);
    for (std::size_t i = 0; i < conns; ++i) {
      if (clients[i]) {
        readers.spawn(read_stamped(*clients[i], messages, received[i], latencies_ms, read_errors));
      }
    }
    for (long n = 0; n < messages; ++n) {
      co_await clients[0]->send(Opcode::text, std::to_string(n) + " " + std::to_string(now_ns()));
      co_await sleep_for(milliseconds(interval_ms));
    }
    Watchdog give_up(executor, std::chrono::seconds(10), [&] {
      for (auto& client : clients) {
        if (client) client->abort();
      }
    });
    co_await readers.wait();
    give_up.disarm();
    std::size_t complete = 0;
    for (std::size_t i = 0; i < conns; ++i) complete += clients[i] && received[i] == messages;
    for (auto& client : clients) {
      if (client) client->abort();
    }

    result.set("delivered", static_cast<long long>(latencies_ms.size()));
    result.set("clients_complete", complete);
    result.set("read_errors", read_errors);
    result.set("p50_ms", percentile(latencies_ms, 50));
    result.set("p99_ms", percentile(latencies_ms, 99));
    result.set("max_ms", percentile(latencies_ms, 100));
    if (pid > 0 && conns > failed) {
      const double n = static_cast<double>(conns - failed);
      result.set("rss_base_kib", base.rss_kib);
      result.set("rss_held_kib", held.rss_kib);
      result.set("rss_per_conn_kib", static_cast<double>(held.rss_kib - base.rss_kib) / n);
      result.set("fds_per_conn", static_cast<double>(held.fds - base.fds) / n);
      result.set("children", held.children);
    }
    if (failed > 0) result.fail(std::to_string(failed) + " connects failed: " + first_error);
    if (complete < conns - failed) result.fail("some clients missed lines");
  });
}

Result run_shared_broadcast(const Options& options, const Target& target) {
  return run_on_loop("shared-broadcast", [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const std::size_t conns = static_cast<std::size_t>(options.get_int("conns", 1000));
    const double seconds = options.get_double("seconds", 5);
    result.set("conns", conns);
    std::vector<std::unique_ptr<WsClient>> clients;
    for (std::size_t i = 0; i < conns; ++i) {
      clients.push_back(std::make_unique<WsClient>(executor, 64 * 1024));
    }
    std::string first_error;
    const std::size_t failed = co_await connect_all(
        clients, target, static_cast<std::size_t>(options.get_int("parallel", 64)), first_error);
    result.set("opened", conns - failed);

    long long total = 0;
    bool counting = false;
    std::size_t closed = 0;
    TaskGroup readers(executor);
    for (auto& client : clients) {
      if (client) readers.spawn(count_messages(*client, counting, total, closed));
    }
    co_await sleep_for(milliseconds(1000));  // warm up: every client joined and reading
    counting = true;
    const auto start = Clock::now();
    co_await sleep_for(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
    counting = false;
    const double elapsed = seconds_since(start);
    for (auto& client : clients) {
      if (client) client->abort();
    }
    co_await readers.wait();
    result.set("messages", total);
    result.set("messages_per_second", static_cast<double>(total) / elapsed);
    result.set("closed_by_server", closed);
    if (failed > 0) result.fail(std::to_string(failed) + " connects failed: " + first_error);
  });
}

}  // namespace bench
