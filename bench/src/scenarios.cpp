#include "scenarios.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <stdexcept>

namespace bench {
using boost::system::error_code;
using std::chrono::milliseconds;

namespace {

// Printable text of `size` bytes (no newline), starting with `prefix`.
std::string text_payload(std::size_t size, const std::string& prefix = {}) {
  std::string payload = prefix.substr(0, size);
  while (payload.size() < size) payload.push_back(static_cast<char>('a' + payload.size() % 26));
  return payload;
}

Clock::duration stall_limit(const Options& options) {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options.get_double("stall", 5.0)));
}

pid_t server_pid(const Options& options) {
  return static_cast<pid_t>(options.get_int("server-pid", 0));
}

void set_latency_fields(Result& result, const std::string& prefix, const std::vector<double>& v) {
  result.set(prefix + "p50", percentile(v, 50));
  result.set(prefix + "p90", percentile(v, 90));
  result.set(prefix + "p99", percentile(v, 99));
  result.set(prefix + "max", percentile(v, 100));
}

// One echo on an open connection, checked.
asio::awaitable<void> echo_once(WsClient& ws, const std::string& payload) {
  co_await ws.send(Opcode::text, payload);
  const Message reply = co_await ws.read_message(true);
  if (reply.opcode == Opcode::close) {
    throw std::runtime_error("closed by the server (code " + std::to_string(reply.close_code) +
                             ")");
  }
  if (reply.payload != payload) throw std::runtime_error("echo differs from what was sent");
}

// Close handshake; a plain function, so no lambda capture can dangle.
asio::awaitable<void> close_politely(WsClient& ws, milliseconds wait) {
  co_await ws.close(wait);
}

}  // namespace

Result run_on_loop(const std::string& name,
                   const std::function<asio::awaitable<void>(Result&)>& body) {
  Result result(name);
  asio::io_context io(1);
  asio::co_spawn(io, body(result), [&result](std::exception_ptr failure) {
    if (!failure) return;
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      result.fail(e.what());
    }
  });
  io.run();
  return result;
}

// ---------------------------------------------------------------- latency

Result run_latency(const Options& options, const Target& target) {
  return run_on_loop("latency", [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const long count = static_cast<long>(options.get_int("count", 2000));
    const long warmup = static_cast<long>(options.get_int("warmup", 100));
    const std::string payload = text_payload(static_cast<std::size_t>(options.get_int("size", 64)));
    WsClient ws(executor);
    long long progress = 0;
    StallGuard guard(
        executor, stall_limit(options), [&] { return progress; }, [&] { ws.abort(); });
    std::vector<double> micros;
    micros.reserve(static_cast<std::size_t>(count));
    // When each measured round trip began (ms after the first): tells a
    // periodic stall or one at a fixed point from scattered ones.
    std::vector<double> began_ms;
    began_ms.reserve(static_cast<std::size_t>(count));
    Clock::time_point first_measured{};
    try {
      co_await ws.connect(target);
      for (long i = 0; i < warmup + count; ++i) {
        const auto start = Clock::now();
        if (i == warmup) first_measured = start;
        co_await echo_once(ws, payload);
        if (i >= warmup) {
          micros.push_back(seconds_since(start) * 1e6);
          began_ms.push_back(
              std::chrono::duration<double, std::milli>(start - first_measured).count());
        }
        ++progress;
      }
      co_await ws.close(milliseconds(2000));
    } catch (const std::exception& e) {
      if (guard.stalled()) {
        result.stall("no echo for " + options.get("stall", "5") + " s");
      } else {
        result.fail(e.what());
      }
    }
    result.set("round_trips", micros.size());
    if (!micros.empty()) {
      // The outliers: where the slowest was, and how many took over 1 ms.
      const auto slowest = std::max_element(micros.begin(), micros.end()) - micros.begin();
      result.set("max_at_round_trip", slowest);
      result.set("max_at_ms", began_ms[static_cast<std::size_t>(slowest)]);
      // The same instant on CLOCK_MONOTONIC (steady_clock's on Linux), to
      // find the slowest round trip in a trace taken meanwhile:
      // `perf sched record -k CLOCK_MONOTONIC`, then `perf sched timehist`.
      const auto slowest_began =
          first_measured +
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
              began_ms[static_cast<std::size_t>(slowest)]));
      result.set("max_began_monotonic_us", std::chrono::duration_cast<std::chrono::microseconds>(
                                               slowest_began.time_since_epoch())
                                               .count());
      result.set("over_1ms", std::count_if(micros.begin(), micros.end(),
                                           [](double us) { return us > 1000.0; }));
    }
    set_latency_fields(result, "us_", micros);
    double sum = 0;
    for (double v : micros) sum += v;
    result.set("us_mean", micros.empty() ? NAN : sum / static_cast<double>(micros.size()));
  });
}

// ---------------------------------------------------- throughput and binary

namespace {

struct Pipeline {
  std::unique_ptr<WsClient> ws;
  std::string frames;  // up to `batch` prebuilt frames
  std::size_t frame_size = 0;
  std::size_t batch = 0;
  long long in_flight = 0;  // bytes sent and not yet echoed
  std::unique_ptr<Signal> room;
};

struct PipelineShared {
  bool stop = false;
  bool text = true;
  long long size = 0;
  long long window = 0;
  long long messages = 0;
  long long bytes = 0;
  std::string error;
};

// Is there room for another batch? Small messages wait for half the
// window so that batches stay large; big ones wait for one message's room.
bool has_room(const Pipeline& p, const PipelineShared& s) {
  if (p.in_flight == 0) return true;
  const long long free = s.window - p.in_flight;
  return free >= std::max(s.size, s.window / 2);
}

asio::awaitable<void> pipeline_writer(Pipeline& p, PipelineShared& s) {
  while (!s.stop) {
    if (!has_room(p, s)) {
      co_await p.room->wait();
      continue;
    }
    const long long free = s.window - p.in_flight;
    std::size_t n = static_cast<std::size_t>(std::max<long long>(1, free / s.size));
    n = std::min(n, p.batch);
    p.in_flight += static_cast<long long>(n) * s.size;
    co_await p.ws->write_raw(std::string_view(p.frames).substr(0, n * p.frame_size));
  }
}

asio::awaitable<void> pipeline_reader(Pipeline& p, PipelineShared& s) {
  while (!(s.stop && p.in_flight == 0)) {
    Message m;
    try {
      m = co_await p.ws->read_message(false);
    } catch (const boost::system::system_error& e) {
      // Cancelled at a frame boundary because nothing was left in flight
      // when the run stopped: the normal end (see stop_pipelines).
      if (e.code() == asio::error::operation_aborted && s.stop && p.in_flight == 0) break;
      throw;
    }
    if (m.opcode == Opcode::close) throw std::runtime_error("the server closed the connection");
    if (s.text && (m.size != static_cast<std::size_t>(s.size) || m.opcode != Opcode::text)) {
      throw std::runtime_error("echo of the wrong size or type");
    }
    p.in_flight -= static_cast<long long>(m.size);
    s.bytes += static_cast<long long>(m.size);
    if (s.text) ++s.messages;
    if (has_room(p, s)) p.room->notify();
  }
}

}  // namespace

Result run_pipelined(const std::string& name, const Options& options, const Target& target,
                     bool binary) {
  return run_on_loop(name, [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    PipelineShared s;
    s.text = !binary;
    s.size = options.get_int("size", 64);
    s.window = std::max(s.size, options.get_int("window", s.text ? 16 * 1024 : 256 * 1024));
    const std::size_t conns = static_cast<std::size_t>(options.get_int("conns", 1));
    const double seconds = options.get_double("seconds", 3.0);
    const double warmup = options.get_double("warmup", 0.5);
    result.set("conns", conns);
    result.set("size", s.size);
    result.set("window", s.window);

    const std::string payload = s.text ? text_payload(static_cast<std::size_t>(s.size))
                                       : std::string(static_cast<std::size_t>(s.size), '\x5a');
    std::vector<Pipeline> pipes(conns);
    for (auto& p : pipes) {
      p.ws = std::make_unique<WsClient>(executor, 64 * 1024);
      p.room = std::make_unique<Signal>(executor);
      p.batch = static_cast<std::size_t>(std::clamp<long long>(s.window / s.size, 1, 256));
      std::string one;
      append_client_frame(one, s.text ? Opcode::text : Opcode::binary, payload, p.ws->mask());
      p.frame_size = one.size();
      p.frames.reserve(one.size() * p.batch);
      for (std::size_t i = 0; i < p.batch; ++i) p.frames += one;
    }
    try {
      for (auto& p : pipes) co_await p.ws->connect(target);
    } catch (const std::exception& e) {
      result.fail(std::string("connect: ") + e.what());
      for (auto& p : pipes) p.ws->abort();
      co_return;
    }

    auto abort_all = [&] {
      for (auto& p : pipes) p.ws->abort();
    };
    StallGuard guard(
        executor, stall_limit(options), [&] { return s.bytes; }, abort_all);
    TaskGroup tasks(executor);
    for (auto& p : pipes) {
      tasks.spawn(pipeline_writer(p, s));
      tasks.spawn(pipeline_reader(p, s));
    }
    co_await sleep_for(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup)));
    const long long messages0 = s.messages;
    const long long bytes0 = s.bytes;
    const auto start = Clock::now();
    co_await sleep_for(
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)));
    const double elapsed = seconds_since(start);
    const long long messages = s.messages - messages0;
    const long long bytes = s.bytes - bytes0;
    // Stop: writers end; a reader still waiting for echoes ends after the
    // last one, one with nothing in flight is waiting at a frame boundary
    // and is cancelled (the socket stays open for the close handshake).
    s.stop = true;
    for (auto& p : pipes) {
      p.room->notify();
      if (p.in_flight == 0) {
        error_code ignored;
        p.ws->socket().cancel(ignored);
      }
    }
    co_await tasks.wait();

    result.set("seconds", elapsed);
    if (s.text) result.set("msgs_per_s", static_cast<double>(messages) / elapsed);
    result.set("mb_per_s", static_cast<double>(bytes) / elapsed / 1e6);
    result.set("bytes", bytes);
    if (guard.stalled()) {
      long long in_flight = 0;
      for (auto& p : pipes) in_flight = std::max(in_flight, p.in_flight);
      result.set("stalled_in_flight", in_flight);
      result.stall("no echo for " + options.get("stall", "5") + " s with " +
                   std::to_string(in_flight) + " bytes in flight");
      co_return;
    }
    if (tasks.failures() > 0) {
      result.fail(tasks.first_error());
      abort_all();
      co_return;
    }
    TaskGroup closing(executor);
    for (auto& p : pipes) {
      closing.spawn(close_politely(*p.ws, milliseconds(2000)));
    }
    co_await closing.wait();
  });
}

// ------------------------------------------------------------------ churn

Result run_churn(const Options& options, const Target& target) {
  return run_on_loop("churn", [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const double seconds = options.get_double("seconds", 3.0);
    const long max_count = static_cast<long>(options.get_int("count", 1000000));
    const std::string payload = text_payload(16);
    std::vector<double> millis;
    // Where a connection's time goes: opening handshake (TCP connect to the
    // 101), the one echo, the close handshake until the server's EOF.
    std::vector<double> open_millis, echo_millis, close_millis;
    long long progress = 0;
    WsClient* current = nullptr;
    StallGuard guard(
        executor, stall_limit(options), [&] { return progress; },
        [&] {
          if (current != nullptr) current->abort();
        });
    const auto start = Clock::now();
    try {
      while (seconds_since(start) < seconds && static_cast<long>(millis.size()) < max_count) {
        const auto begin = Clock::now();
        WsClient ws(executor);
        current = &ws;
        co_await ws.connect(target);
        const auto opened = Clock::now();
        co_await echo_once(ws, payload);
        const auto echoed = Clock::now();
        co_await ws.close(milliseconds(2000));
        current = nullptr;
        millis.push_back(seconds_since(begin) * 1e3);
        open_millis.push_back(std::chrono::duration<double, std::milli>(opened - begin).count());
        echo_millis.push_back(std::chrono::duration<double, std::milli>(echoed - opened).count());
        close_millis.push_back(seconds_since(echoed) * 1e3);
        ++progress;
      }
    } catch (const std::exception& e) {
      current = nullptr;
      if (guard.stalled()) {
        result.stall("a connection made no progress for " + options.get("stall", "5") + " s");
      } else {
        result.fail(e.what());
      }
    }
    const double elapsed = seconds_since(start);
    result.set("connections", millis.size());
    result.set("seconds", elapsed);
    result.set("conns_per_s", static_cast<double>(millis.size()) / elapsed);
    set_latency_fields(result, "ms_", millis);
    result.set("open_ms_p50", percentile(open_millis, 50));
    result.set("echo_ms_p50", percentile(echo_millis, 50));
    result.set("close_ms_p50", percentile(close_millis, 50));
  });
}

// ------------------------------------------------------------------ storm

Result run_storm(const Options& options, const Target& target) {
  return run_on_loop("storm", [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const std::size_t conns = static_cast<std::size_t>(options.get_int("conns", 100));
    const double timeout = options.get_double("timeout", 30.0);
    const std::string payload = text_payload(16);
    result.set("conns", conns);

    std::vector<std::unique_ptr<WsClient>> clients;
    for (std::size_t i = 0; i < conns; ++i) clients.push_back(std::make_unique<WsClient>(executor));
    std::vector<double> done_ms;
    std::size_t failed = 0;
    std::string first_error;
    bool released = false;
    asio::steady_timer release(executor, asio::steady_timer::time_point::max());
    Signal progress(executor);

    const auto start = Clock::now();
    TaskGroup tasks(executor);
    // Named, so the closure (and its captures) outlives every task.
    auto storm_task = [&](WsClient& ws) -> asio::awaitable<void> {
      try {
        co_await ws.connect(target);
        co_await echo_once(ws, payload);
        done_ms.push_back(seconds_since(start) * 1e3);
      } catch (const std::exception& e) {
        ++failed;
        if (first_error.empty()) first_error = e.what();
        ws.abort();
        progress.notify();
        co_return;
      }
      progress.notify();
      if (!released) {
        error_code ignored;  // cancel() is the release
        co_await release.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      co_await ws.close(milliseconds(5000));
    };
    for (auto& client : clients) tasks.spawn(storm_task(*client));
    {
      Watchdog deadline(
          executor,
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout)),
          [&] { progress.notify(); });
      while (done_ms.size() + failed < conns && seconds_since(start) < timeout) {
        co_await progress.wait();
      }
    }
    const double all_echoed_ms = seconds_since(start) * 1e3;
    const std::size_t echoed = done_ms.size();
    const bool timed_out = echoed + failed < conns;
    if (timed_out) {
      for (auto& client : clients) client->abort();  // the stragglers end now
    }
    released = true;
    release.cancel();
    const auto close_start = Clock::now();
    co_await tasks.wait();

    result.set("echoed", echoed);
    result.set("failed", failed);
    result.set("ms_all_echoed", echoed == conns ? all_echoed_ms : NAN);
    set_latency_fields(result, "ms_", done_ms);
    result.set("ms_close_all", seconds_since(close_start) * 1e3);
    if (timed_out) {
      result.stall(std::to_string(conns - echoed - failed) + " connections not echoed after " +
                   std::to_string(timeout) + " s");
    } else if (failed > 0) {
      result.fail(std::to_string(failed) + " connections failed: " + first_error);
    }
  });
}

// ------------------------------------------------------------------- hold

Result run_hold(const Options& options, const Target& target) {
  return run_on_loop("hold", [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const std::size_t conns = static_cast<std::size_t>(options.get_int("conns", 1000));
    const double hold_seconds = options.get_double("seconds", 5.0);
    const std::size_t parallel = static_cast<std::size_t>(options.get_int("parallel", 64));
    const pid_t pid = server_pid(options);
    const std::string payload = text_payload(16);
    result.set("conns", conns);

    // Warm the server up (first-connection costs), then the baseline.
    {
      WsClient ws(executor);
      co_await ws.connect(target);
      co_await echo_once(ws, payload);
      co_await ws.close(milliseconds(2000));
      co_await sleep_for(milliseconds(500));
    }
    const ProcessSample base = pid > 0 ? sample_process(pid, true) : ProcessSample{};

    std::vector<std::unique_ptr<WsClient>> clients;
    for (std::size_t i = 0; i < conns; ++i) clients.push_back(std::make_unique<WsClient>(executor));
    std::vector<bool> open(conns, false);
    std::size_t failed = 0;
    std::string first_error;

    // Runs `step` on every open connection, `parallel` at a time.
    auto for_each = [&](auto step) -> asio::awaitable<void> {
      std::size_t next = 0;
      TaskGroup workers(executor);
      auto worker = [&]() -> asio::awaitable<void> {
        while (next < conns) {
          const std::size_t i = next++;
          try {
            co_await step(i);
          } catch (const std::exception& e) {
            ++failed;
            if (first_error.empty()) first_error = e.what();
            open[i] = false;
            clients[i]->abort();
          }
        }
      };
      for (std::size_t w = 0; w < parallel; ++w) workers.spawn(worker());
      co_await workers.wait();
    };

    const auto open_start = Clock::now();
    co_await for_each([&](std::size_t i) -> asio::awaitable<void> {
      co_await clients[i]->connect(target);
      co_await echo_once(*clients[i], payload);
      open[i] = true;
    });
    const double open_seconds = seconds_since(open_start);
    const std::size_t opened = static_cast<std::size_t>(std::count(open.begin(), open.end(), true));
    co_await sleep_for(milliseconds(1000));  // let the server settle
    const ProcessSample held = pid > 0 ? sample_process(pid, true) : ProcessSample{};

    // Idle: sample the server's RSS every second.
    long peak_rss = held.rss_kib;
    const auto hold_start = Clock::now();
    while (seconds_since(hold_start) < hold_seconds) {
      co_await sleep_for(milliseconds(std::min<long>(
          1000, static_cast<long>((hold_seconds - seconds_since(hold_start)) * 1000) + 1)));
      if (pid > 0) peak_rss = std::max(peak_rss, rss_kib(pid));
    }
    const long children_after_hold = pid > 0 ? static_cast<long>(child_pids(pid).size()) : -1;

    // Everyone must still echo.
    const std::size_t failed_before = failed;
    co_await for_each([&](std::size_t i) -> asio::awaitable<void> {
      if (!open[i]) co_return;
      co_await echo_once(*clients[i], payload);
    });
    const std::size_t still_echoing = opened - (failed - failed_before);
    co_await for_each([&](std::size_t i) -> asio::awaitable<void> {
      if (open[i]) co_await clients[i]->close(milliseconds(5000));
    });

    result.set("opened", opened);
    result.set("open_seconds", open_seconds);
    result.set("held_seconds", hold_seconds);
    result.set("still_echoing", still_echoing);
    if (pid > 0 && opened > 0) {
      const double n = static_cast<double>(opened);
      result.set("rss_base_kib", base.rss_kib);
      result.set("rss_held_kib", held.rss_kib);
      result.set("rss_peak_kib", peak_rss);
      result.set("rss_per_conn_kib", static_cast<double>(held.rss_kib - base.rss_kib) / n);
      result.set("fds_base", base.fds);
      result.set("fds_held", held.fds);
      result.set("fds_per_conn", static_cast<double>(held.fds - base.fds) / n);
      result.set("children", held.children);
      result.set("children_after_hold", children_after_hold);
      result.set("child_pss_kib", held.children > 0 ? static_cast<double>(held.children_pss_kib) /
                                                          static_cast<double>(held.children)
                                                    : NAN);
    }
    if (failed > 0) {
      result.fail(std::to_string(failed) + " connection steps failed: " + first_error);
    } else if (pid > 0 && held.children != static_cast<long>(opened)) {
      // One program per connection (the warm-up's has long ended), or the
      // per-child figures are wrong.
      result.fail("the server has " + std::to_string(held.children) + " children for " +
                  std::to_string(opened) + " connections");
    }
  });
}

// ------------------------------------------------------------ slow consumer

Result run_slow(const Options& options, const Target& target) {
  return run_on_loop("slow", [&](Result& result) -> asio::awaitable<void> {
    const auto executor = co_await asio::this_coro::executor;
    const long long messages = options.get_int("messages", 8192);
    const std::size_t size = static_cast<std::size_t>(options.get_int("size", 1024));
    const pid_t pid = server_pid(options);
    WsClient ws(executor, 64 * 1024);
    co_await ws.connect(target);
    co_await sleep_for(milliseconds(200));  // the child is up
    const long base_rss = pid > 0 ? rss_kib(pid) : -1;
    long peak_rss = base_rss;

    long long sent = 0;
    long long received = 0;
    long long out_of_order = 0;
    bool done = false;
    StallGuard guard(
        executor, stall_limit(options), [&] { return received; }, [&] { ws.abort(); });
    asio::steady_timer sampler(executor);
    std::function<void()> sample = [&] {
      sampler.expires_after(milliseconds(20));
      sampler.async_wait([&](error_code ec) {
        if (ec || done) return;
        if (pid > 0) peak_rss = std::max(peak_rss, rss_kib(pid));
        sample();
      });
    };
    sample();

    const auto start = Clock::now();
    TaskGroup tasks(executor);
    auto flood = [&]() -> asio::awaitable<void> {  // as fast as the socket takes it
      std::string batch;
      char prefix[32];
      while (sent < messages) {
        batch.clear();
        for (int i = 0; i < 16 && sent < messages; ++i, ++sent) {
          std::snprintf(prefix, sizeof prefix, "%012lld ", sent);
          append_client_frame(batch, Opcode::text, text_payload(size, prefix), ws.mask());
        }
        co_await ws.write_raw(batch);
      }
    };
    auto drain = [&]() -> asio::awaitable<void> {
      while (received < messages) {
        const Message m = co_await ws.read_message(true);
        if (m.opcode == Opcode::close) throw std::runtime_error("the server closed early");
        if (m.payload.size() != size || std::stoll(m.payload.substr(0, 12)) != received) {
          ++out_of_order;
        }
        ++received;
      }
    };
    tasks.spawn(flood());
    tasks.spawn(drain());
    co_await tasks.wait();
    const double elapsed = seconds_since(start);
    done = true;
    sampler.cancel();
    if (!guard.stalled() && tasks.failures() == 0) co_await ws.close(milliseconds(2000));
    ws.abort();

    result.set("messages", messages);
    result.set("size", size);
    result.set("flood_kib", static_cast<long long>(messages * static_cast<long long>(size) / 1024));
    result.set("sent", sent);
    result.set("received", received);
    result.set("lost", sent - received);
    result.set("out_of_order", out_of_order);
    result.set("seconds", elapsed);
    if (pid > 0) {
      result.set("rss_base_kib", base_rss);
      result.set("rss_peak_kib", peak_rss);
      result.set("rss_growth_kib", peak_rss - base_rss);
    }
    if (guard.stalled()) {
      result.stall("nothing echoed for " + options.get("stall", "5") + " s");
    } else if (tasks.failures() > 0) {
      result.fail(tasks.first_error());
    } else if (out_of_order > 0) {
      result.fail(std::to_string(out_of_order) + " messages out of order or damaged");
    }
  });
}

}  // namespace bench
