#include "shared_scenarios.hpp"

#include "scenarios.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <charconv>
#include <memory>
#include <thread>

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

// What every shard of shared-fanout does alike.
struct FanoutPlan {
  long messages = 0;
  std::size_t parallel = 64;  // connects in flight, over all shards
  Target target;
};

// One thread's share of shared-fanout's clients, on its own io_context:
// one thread reading 10,000 sockets costs about 5 us a message, 50 ms a
// line, which is then what a p99 measures (--threads).
struct FanoutShard {
  asio::io_context io{1};
  asio::any_io_executor executor;  // io's, or the sending loop's for shard 0
  std::vector<std::unique_ptr<WsClient>> clients;
  std::vector<long> received;  // per client
  std::vector<double> latencies_ms;
  std::size_t read_errors = 0;
  std::size_t failed = 0;  // connects
  std::string first_error;
};

// Connects the shard's clients, then reads every line on each. `connected`
// and `finished` count the shards that got so far, for the sending loop
// on another thread.
asio::awaitable<void> run_shard(FanoutShard& shard, const FanoutPlan& plan, std::size_t parallel,
                                std::atomic<std::size_t>& connected,
                                std::atomic<std::size_t>& finished) {
  const auto executor = co_await asio::this_coro::executor;
  shard.failed = co_await connect_all(shard.clients, plan.target, parallel, shard.first_error);
  ++connected;
  TaskGroup readers(executor);
  for (std::size_t i = 0; i < shard.clients.size(); ++i) {
    if (shard.clients[i]) {
      readers.spawn(read_stamped(*shard.clients[i], plan.messages, shard.received[i],
                                 shard.latencies_ms, shard.read_errors));
    }
  }
  co_await readers.wait();
  ++finished;
}

// Wakes every read of the shard, on the shard's own thread: at once for
// shard 0, whose thread this is (nothing may be left queued there for
// after the scenario's end), by a post for the others, which are joined
// before the shards are destroyed.
void abort_shard(FanoutShard& shard) {
  asio::dispatch(shard.executor, [&shard] {
    for (auto& client : shard.clients) {
      if (client) client->abort();
    }
  });
}

std::string first_error_of(const std::vector<std::unique_ptr<FanoutShard>>& shards) {
  for (const auto& shard : shards) {
    if (!shard->first_error.empty()) return shard->first_error;
  }
  return "";
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
    const FanoutPlan plan{
        .messages = std::max<long>(options.get_int("messages", 20),
                                   static_cast<long>(seconds * 1000 / interval_ms)),
        .parallel = static_cast<std::size_t>(options.get_int("parallel", 64)),
        .target = target,
    };
    const std::size_t threads =
        std::clamp<std::size_t>(static_cast<std::size_t>(options.get_int("threads", 1)), 1,
                                std::max<std::size_t>(conns, 1));
    const pid_t pid = static_cast<pid_t>(options.get_int("server-pid", 0));
    result.set("conns", conns);
    result.set("messages", plan.messages);
    result.set("threads", threads);

    // Shard 0 (with client 0, the sender) runs on this loop, the others
    // each on a thread of their own.
    std::vector<std::unique_ptr<FanoutShard>> shards;
    for (std::size_t s = 0; s < threads; ++s) {
      const std::size_t share = conns / threads + (s < conns % threads ? 1 : 0);
      shards.push_back(std::make_unique<FanoutShard>());
      FanoutShard& shard = *shards.back();
      shard.executor = s == 0 ? executor : shard.io.get_executor();
      for (std::size_t i = 0; i < share; ++i) {
        shard.clients.push_back(std::make_unique<WsClient>(shard.executor));
      }
      shard.received.assign(share, 0);
      shard.latencies_ms.reserve(share * static_cast<std::size_t>(plan.messages));
    }

    const ProcessSample base = pid > 0 ? sample_process(pid, true) : ProcessSample{};
    std::atomic<std::size_t> connected{0};
    std::atomic<std::size_t> finished{0};
    const auto open_start = Clock::now();
    std::vector<std::thread> workers;
    for (std::size_t s = 0; s < threads; ++s) {
      FanoutShard& shard = *shards[s];
      asio::co_spawn(shard.executor,
                     run_shard(shard, plan, std::max<std::size_t>(plan.parallel / threads, 1),
                               connected, finished),
                     asio::detached);
      if (s > 0) workers.emplace_back([&shard] { shard.io.run(); });
    }
    while (connected < threads) co_await sleep_for(milliseconds(10));
    std::size_t failed = 0;
    for (const auto& shard : shards) failed += shard->failed;
    result.set("open_seconds", seconds_since(open_start));
    result.set("opened", conns - failed);
    co_await sleep_for(milliseconds(1000));  // every join has reached the program
    const ProcessSample held = pid > 0 ? sample_process(pid, true) : ProcessSample{};

    // Every client reads every line: "SEQ SENT_NS". No exception may leave
    // before the shards, which use this frame, have ended.
    std::string send_error;
    WsClient* const sender = shards[0]->clients.empty() ? nullptr : shards[0]->clients[0].get();
    try {
      if (sender == nullptr) throw std::runtime_error("it could not connect");
      for (long n = 0; n < plan.messages; ++n) {
        co_await sender->send(Opcode::text, std::to_string(n) + " " + std::to_string(now_ns()));
        co_await sleep_for(milliseconds(interval_ms));
      }
    } catch (const std::exception& e) {
      send_error =
          std::string("the sending client failed: ") + e.what() + " " + first_error_of(shards);
    }
    const auto give_up = Clock::now() + std::chrono::seconds(send_error.empty() ? 10 : 0);
    while (finished < threads && Clock::now() < give_up) co_await sleep_for(milliseconds(10));
    // Every line has been sent to every client by now and the clients are
    // idle again: what the sends left behind (freed but not given back, or kept).
    const ProcessSample after = pid > 0 ? sample_process(pid, false) : ProcessSample{};
    for (auto& shard : shards) abort_shard(*shard);
    while (finished < threads) co_await sleep_for(milliseconds(10));
    for (auto& worker : workers) worker.join();
    if (!send_error.empty()) throw std::runtime_error(send_error);

    std::vector<double> latencies_ms;
    std::size_t complete = 0;
    std::size_t read_errors = 0;
    for (const auto& shard : shards) {
      latencies_ms.insert(latencies_ms.end(), shard->latencies_ms.begin(),
                          shard->latencies_ms.end());
      read_errors += shard->read_errors;
      for (std::size_t i = 0; i < shard->clients.size(); ++i) {
        complete += shard->clients[i] && shard->received[i] == plan.messages;
      }
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
      result.set("rss_per_conn_after_lines_kib",
                 static_cast<double>(after.rss_kib - base.rss_kib) / n);
      result.set("fds_per_conn", static_cast<double>(held.fds - base.fds) / n);
      result.set("children", held.children);
    }
    if (failed > 0)
      result.fail(std::to_string(failed) + " connects failed: " + first_error_of(shards));
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
