#include "common.hpp"  // first: it includes <utility> before Asio

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <cstdio>
#include <exception>
#include <stdexcept>

namespace bench {
using boost::system::error_code;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Options::Options(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) throw std::runtime_error("unexpected argument: " + arg);
    arg = arg.substr(2);
    const auto equals = arg.find('=');
    if (equals != std::string::npos) {
      values_[arg.substr(0, equals)] = arg.substr(equals + 1);
    } else if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      values_[arg] = argv[++i];
    } else {
      values_[arg] = "true";
    }
  }
}

std::string Options::get(const std::string& name, const std::string& fallback) const {
  const auto found = values_.find(name);
  return found == values_.end() ? fallback : found->second;
}

long long Options::get_int(const std::string& name, long long fallback) const {
  const auto found = values_.find(name);
  if (found == values_.end()) return fallback;
  // Sizes may say 1k / 64k / 1m.
  std::string text = found->second;
  long long unit = 1;
  if (!text.empty()) {
    const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
    if (last == 'k') unit = 1024;
    if (last == 'm') unit = 1024 * 1024;
    if (unit != 1) text.pop_back();
  }
  return std::stoll(text) * unit;
}

double Options::get_double(const std::string& name, double fallback) const {
  const auto found = values_.find(name);
  return found == values_.end() ? fallback : std::stod(found->second);
}

bool Options::flag(const std::string& name) const {
  const auto found = values_.find(name);
  return found != values_.end() && found->second != "false" && found->second != "0";
}

namespace {
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}
}  // namespace

Result::Result(std::string scenario) {
  set("scenario", scenario);
}

void Result::set(const std::string& key, double value) {
  char text[64];
  if (!std::isfinite(value)) {
    std::snprintf(text, sizeof text, "null");
  } else {
    std::snprintf(text, sizeof text, "%.6g", value);
  }
  for (auto& field : fields_) {
    if (field.first == key) {
      field.second = text;
      return;
    }
  }
  fields_.emplace_back(key, text);
}

void Result::set_integer(const std::string& key, long long value) {
  for (auto& field : fields_) {
    if (field.first == key) {
      field.second = std::to_string(value);
      return;
    }
  }
  fields_.emplace_back(key, std::to_string(value));
}

void Result::set(const std::string& key, const std::string& value) {
  for (auto& field : fields_) {
    if (field.first == key) {
      field.second = quoted(value);
      return;
    }
  }
  fields_.emplace_back(key, quoted(value));
}

void Result::stall(const std::string& why) {
  if (status_ == "ok") {
    status_ = "stall";
    set("detail", why);
  }
}

void Result::fail(const std::string& why) {
  if (status_ != "error") {
    status_ = "error";
    set("detail", why);
  }
}

std::string Result::json() const {
  std::string out = "{";
  for (const auto& [key, value] : fields_) {
    out += quoted(key) + ":" + value + ",";
  }
  return out + "\"status\":" + quoted(status_) + "}";
}

int Result::exit_code() const {
  if (status_ == "ok") return 0;
  if (status_ == "stall") return 3;
  return 1;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const std::size_t index =
      static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size()))) - 1;
  return values[index];
}

Watchdog::Watchdog(asio::any_io_executor executor, Clock::duration after,
                   std::function<void()> fire)
    : timer_(std::move(executor)), armed_(std::make_shared<bool>(true)) {
  timer_.expires_after(after);
  timer_.async_wait([armed = armed_, fire = std::move(fire)](error_code ec) {
    if (!ec && *armed) fire();
  });
}

Watchdog::~Watchdog() {
  disarm();
}

void Watchdog::disarm() {
  *armed_ = false;
  timer_.cancel();
}

Signal::Signal(asio::any_io_executor executor) : timer_(std::move(executor)) {}

asio::awaitable<void> Signal::wait() {
  if (pending_) {
    pending_ = false;
    co_return;
  }
  waiting_ = true;
  timer_.expires_at(asio::steady_timer::time_point::max());
  error_code ignored;  // cancel() is the wake-up
  co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  waiting_ = false;
  pending_ = false;
}

void Signal::notify() {
  if (waiting_) {
    timer_.cancel();
  } else {
    pending_ = true;
  }
}

TaskGroup::TaskGroup(asio::any_io_executor executor)
    : executor_(executor), done_(std::move(executor)) {}

void TaskGroup::spawn(asio::awaitable<void> task) {
  ++live_;
  asio::co_spawn(executor_, std::move(task), [this](std::exception_ptr failure) {
    --live_;
    if (failure) {
      ++failures_;
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        if (first_error_.empty()) first_error_ = e.what();
      }
    }
    done_.notify();
  });
}

asio::awaitable<void> TaskGroup::wait() {
  while (live_ > 0) co_await done_.wait();
}

asio::awaitable<void> sleep_for(Clock::duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace bench

namespace bench {

struct StallGuard::State {
  explicit State(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  Clock::duration limit{};
  std::function<long long()> progress;
  std::function<void()> on_stall;
  bool armed = true;
  bool stalled = false;
  long long last = 0;
  Clock::time_point last_change = Clock::now();

  static void arm(const std::shared_ptr<State>& state) {
    state->timer.expires_after(std::chrono::milliseconds(100));
    state->timer.async_wait([state](error_code ec) {
      if (ec || !state->armed) return;
      const long long now_progress = state->progress();
      const auto now = Clock::now();
      if (now_progress != state->last) {
        state->last = now_progress;
        state->last_change = now;
      } else if (now - state->last_change > state->limit) {
        state->stalled = true;
        state->armed = false;
        state->on_stall();
        return;
      }
      arm(state);
    });
  }
};

StallGuard::StallGuard(asio::any_io_executor executor, Clock::duration limit,
                       std::function<long long()> progress, std::function<void()> on_stall)
    : state_(std::make_shared<State>(std::move(executor))) {
  state_->limit = limit;
  state_->progress = std::move(progress);
  state_->on_stall = std::move(on_stall);
  state_->last = state_->progress();
  State::arm(state_);
}

StallGuard::~StallGuard() {
  state_->armed = false;
  state_->timer.cancel();
}

bool StallGuard::stalled() const {
  return state_->stalled;
}

}  // namespace bench
