#include "shared/shared_program.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <boost/asio/post.hpp>
#include <charconv>
#include <chrono>

#include "core/exit_status.hpp"
#include "core/limits.hpp"
#include "core/shared_protocol.hpp"
#include "core/tagged_output.hpp"
#include "process/child_process.hpp"
#include "process/child_supervisor.hpp"
#include "process/spawner.hpp"
#include "server/log.hpp"
#include "server/server_state.hpp"
#include "shared/shared_frames.hpp"
#include "shared/shared_registry.hpp"

namespace wsexec {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// The exit status of a child that has exited but is not yet reaped (its
// supervisor reaps it later): peeked with WNOWAIT, leaving it a zombie.
std::optional<std::uint64_t> client_id_of(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return id;
}

}  // namespace

SharedProgram::SharedProgram(ServerState& state, Worker& home, std::string key,
                             SpawnRequest request, ForkSlot slot)
    : state_(state),
      home_(home),
      executor_(home.context().get_executor()),
      key_(std::move(key)),
      request_(std::move(request)),
      context_(log::make_context({{"command", request_.executable}, {"shared", "yes"}})),
      slot_(std::move(slot)),
      idle_timer_(executor_),
      addressed_(state.config.shared_mode == SharedMode::addressed) {}

SharedProgram::~SharedProgram() = default;

void SharedProgram::start() {
  registration_.emplace(home_, this);
  input_.emplace(weak_from_this(), [this](const FairInput::Taken& taken) { credit(taken); });
  if (state_.stopping.load()) return start_failed("the server is stopping");
  state_.spawner->start(request_, executor_,
                        [self = shared_from_this()](StartedChild started, std::error_code error) {
                          self->on_started(std::move(started), error);
                        });
}

void SharedProgram::on_started(StartedChild started, std::error_code error) {
  if (ending_) return;  // the server stopped meanwhile: `started` is killed and reaped
  if (!started) return start_failed(error.message());
  auto child = ChildProcess::adopt(executor_, std::move(started), error);
  if (!child) return start_failed(error.message());  // killed and reaped by adopt
  pid_ = child->pid();
  log::add_to_context(context_, "pid", std::to_string(pid_));
  supervisor_ = std::make_shared<ChildSupervisor>(std::move(child), std::move(*slot_),
                                                  milliseconds(state_.config.close_ms), context_);
  slot_.reset();
  running_ = true;
  log::write(LogLevel::info, "shared", context_, "shared program started");
  supervisor_->on_close_stdin([weak = weak_from_this()](ChildProcess& child) {
    if (auto self = weak.lock()) {
      self->input_->close_after_drain();
    } else {
      child.close_stdin();
    }
  });
  supervisor_->watch([self = shared_from_this()] { self->on_exited(); });
  ChildProcess& process = supervisor_->child();
  input_->attach(process.stdin_pipe());
  const auto framing =
      state_.config.binary ? OutputPump::Framing::chunks : OutputPump::Framing::lines;
  stdout_pump_.emplace(process.stdout_pipe(), OutputStream::stdout_stream, framing, *this);
  stderr_pump_.emplace(process.stderr_pipe(), OutputStream::stderr_stream,
                       OutputPump::Framing::lines, *this);
  stdout_pump_->start();
  stderr_pump_->start();
  for (const auto& [id, client] : clients_) {
    asio::post(client.executor, [weak = client.client, pid = pid_] {
      if (auto c = weak.lock()) c->program_running(pid);
    });
  }
  if (clients_.empty()) arm_idle_timer();
}

void SharedProgram::start_failed(const std::string& why) {
  log::write(LogLevel::error, "process", context_,
             "cannot start " + request_.executable + ": " + why);
  finished_ = true;
  forget();
  slot_.reset();
  input_->drop_all();
  close_every_client(1011, "cannot start the program");
}

void SharedProgram::join(SharedClientHandle client) {
  if (finished_ || ending_) {
    // Found in the registry a moment before this program started to end.
    asio::post(client.executor, [weak = client.client] {
      if (auto c = weak.lock()) c->closed_by_program(1013, "the shared program is ending; retry");
    });
    return;
  }
  idle_timer_.cancel();
  if (running_) {
    asio::post(client.executor, [weak = client.client, pid = pid_] {
      if (auto c = weak.lock()) c->program_running(pid);
    });
  }
  if (!client.open_event.empty()) input_->push(client.id, std::move(client.open_event));
  const std::uint64_t id = client.id;
  clients_.emplace(id, std::move(client));
  fanout_.clients_changed();
}

void SharedProgram::leave(std::uint64_t client_id, std::uint16_t close_code) {
  if (clients_.erase(client_id) == 0) return;
  fanout_.clients_changed();
  if (addressed_) input_->push(client_id, close_event(std::to_string(client_id), close_code));
  if (clients_.empty()) arm_idle_timer();
}

void SharedProgram::send(std::uint64_t client_id, std::string message) {
  input_->push(client_id, std::move(message));
}

// Server shutdown: each client is closed (1001) by its own session; the
// program goes through the ladder like any other.
void SharedProgram::stop() {
  if (ending_) return;
  ending_ = true;
  forget();
  idle_timer_.cancel();
  if (supervisor_) supervisor_->terminate();
}

void SharedProgram::arm_idle_timer() {
  if (!state_.config.shared_idle_ms || !running_ || ending_) return;
  const unsigned idle_ms = *state_.config.shared_idle_ms;
  idle_timer_.expires_after(milliseconds(idle_ms));
  idle_timer_.async_wait([self = shared_from_this(), idle_ms](boost::system::error_code ec) {
    if (ec || !self->clients_.empty() || self->ending_) return;  // a client came meanwhile
    log::write(LogLevel::info, "shared", self->context_,
               "no clients for " + std::to_string(idle_ms) + " ms (--sharedidlems): ending");
    self->stop();
  });
}

void SharedProgram::on_exited() {
  exited_ = true;
  // What it left running (a background job holding stdout) goes too, so
  // stdout reaches its end once what is in the pipe is read. The program
  // is not reaped yet: its group id cannot have been reused.
  supervisor_->child().signal_group(SIGKILL);
  finish_if_done();
}

// Once the program has exited and all it wrote is posted, every client is
// told, after its last line: close 1000 with how the program ended.
void SharedProgram::finish_if_done() {
  if (!exited_ || !stdout_ended_ || finished_) return;
  finished_ = true;
  // The close reason in the words every session uses ("exit 0", "signal 9",
  // core/exit_status), so a client reads a shared program's end as it reads
  // its own program's.
  const std::optional<ProgramExit> exit = supervisor_->child().peek_exit();
  const std::string how = exit ? exit_close_reason(*exit) : std::string("ended");
  log::write(LogLevel::info, "shared", context_, "shared program ended: " + how);
  forget();
  idle_timer_.cancel();
  input_->drop_all();
  // At shutdown the program ends because the server does: its clients are
  // going away (1001, sent by each session), whichever of the two comes first.
  // Without a drain time the shutdown begins with `draining`, before
  // `stopping`, and the program can be on its way out in between.
  const bool server_ending =
      state_.stopping.load() || (state_.draining.load() && state_.config.drain_ms == 0);
  if (server_ending) {
    close_every_client(1001, "");
  } else {
    close_every_client(1000, how);
  }
  ChildProcess& child = supervisor_->child();
  boost::system::error_code ignored;  // cancels the stderr pump's wait, as intended
  child.stderr_pipe().close(ignored);
  child.close_stdin();
}

void SharedProgram::forget() {
  state_.shared_programs->forget(key_, this);
}

void SharedProgram::close_every_client(std::uint16_t code, const std::string& reason) {
  for (const auto& [id, client] : clients_) {
    asio::post(client.executor, [weak = client.client, code, reason] {
      if (auto c = weak.lock()) c->closed_by_program(code, reason);
    });
  }
  clients_.clear();
  fanout_.clients_changed();
}

void SharedProgram::credit(const FairInput::Taken& taken) {
  for (const auto& [id, bytes] : taken) {
    auto found = clients_.find(id);
    if (found == clients_.end()) continue;  // gone: nothing to resume
    asio::post(found->second.executor, [weak = found->second.client, bytes = bytes] {
      if (auto c = weak.lock()) c->input_written(bytes);
    });
  }
}

void SharedProgram::on_output(OutputPump& pump) {
  if (addressed_ && pump.stream() == OutputStream::stdout_stream) {
    route_commands([&pump] { return pump.next_piece(); });
  } else {
    fan_out(pump, [&pump] { return pump.next_piece(); });
  }
  pump.resume();  // at once: the program's output never waits for a client
}

void SharedProgram::on_output_end(OutputPump& pump) {
  if (addressed_ && pump.stream() == OutputStream::stdout_stream) {
    route_commands([&pump] { return pump.last_piece(); });
  } else {
    fan_out(pump, [&pump] { return pump.last_piece(); });
  }
  if (pump.stream() != OutputStream::stdout_stream) return;
  stdout_ended_ = true;
  if (supervisor_) supervisor_->terminate();  // all it says is said: on its way out
  finish_if_done();
}

// One SharedOutput per read, for every client: its lines (or its chunk)
// are copied once, here, and from then on only the pointer travels.
template <typename NextPiece>
void SharedProgram::fan_out(const OutputPump& pump, NextPiece next_piece) {
  const bool is_stderr = pump.stream() == OutputStream::stderr_stream;
  const bool tagged = state_.config.pass_stderr;
  auto output = std::make_shared<SharedOutput>();
  output->binary = state_.config.binary && !is_stderr;
  while (auto piece = next_piece()) {
    if (is_stderr) log::write(LogLevel::error, "stderr", context_, *piece);
    if (is_stderr && !tagged) continue;
    std::string message;
    if (tagged) {
      append_tagged_line(pump.stream(), *piece, message);
    } else {
      message.assign(*piece);
    }
    output->bytes += message.size();
    output->messages.push_back(std::move(message));
  }
  if (output->messages.empty() || clients_.empty()) return;
  encode_once(*output);
  post_to_each(std::move(output));
}

void SharedProgram::encode_once(SharedOutput& output) const {
  if (!state_.config.compress) output.frames = encode_frames(output.messages, output.binary);
}

void SharedProgram::post_to_each(const std::shared_ptr<const SharedOutput>& output) {
  fanout_.post_to_all(clients_, output);
}

void SharedProgram::post_to(const SharedClientHandle& client,
                            const std::shared_ptr<const SharedOutput>& output) {
  asio::post(client.executor, [weak = client.client, output] {
    if (auto c = weak.lock()) c->deliver(output);
  });
}

// Messages for everyone gather into one SharedOutput, as in broadcast mode;
// it is sent before any addressed message or close that follows it, so
// every client sees the program's lines in the order they were printed.
template <typename NextPiece>
void SharedProgram::route_commands(NextPiece next_piece) {
  auto everyone = std::make_shared<SharedOutput>();
  const auto flush_everyone = [&] {
    if (everyone->messages.empty()) return;
    encode_once(*everyone);
    post_to_each(everyone);
    everyone = std::make_shared<SharedOutput>();
  };
  const bool binary = state_.config.binary;
  while (auto line = next_piece()) {
    ProgramCommand command = parse_program_line(*line);
    if (auto* error = std::get_if<ProtocolError>(&command)) {
      log::write(LogLevel::error, "shared", context_,
                 "line sent to nobody (" + error->what + "): " + std::string(line->substr(0, 200)));
      continue;
    }
    if (auto* close = std::get_if<CloseCommand>(&command)) {
      flush_everyone();
      if (auto id = client_id_of(close->id)) kick(*id, close->code, close->reason);
      continue;
    }
    auto& send = std::get<SendCommand>(command);
    if (send.to_everyone) {
      everyone->binary = binary;
      everyone->bytes += send.data.size();
      everyone->messages.push_back(std::move(send.data));
      continue;
    }
    flush_everyone();
    auto output = std::make_shared<SharedOutput>();
    output->binary = binary;
    output->bytes = send.data.size();
    output->messages.push_back(std::move(send.data));
    encode_once(*output);
    for (const std::string& to : send.to) {
      const auto id = client_id_of(to);
      const auto found = id ? clients_.find(*id) : clients_.end();
      if (found != clients_.end()) post_to(found->second, output);  // one that left: nobody
    }
  }
  flush_everyone();
}

void SharedProgram::kick(std::uint64_t client_id, std::uint16_t code, const std::string& reason) {
  const auto found = clients_.find(client_id);
  if (found == clients_.end()) return;
  asio::post(found->second.executor, [weak = found->second.client, code, reason] {
    if (auto c = weak.lock()) c->closed_by_program(code, reason);
  });
  clients_.erase(found);
  fanout_.clients_changed();
  // Every open has its close, a kick's too: the program's bookkeeping has one path.
  input_->push(client_id, close_event(std::to_string(client_id), code));
  if (clients_.empty()) arm_idle_timer();
}

void SharedProgramRef::join(SharedClientHandle client) const {
  asio::post(*home_, [program = program_, client = std::move(client)]() mutable {
    if (auto p = program.lock()) return p->join(std::move(client));
    // It ended between the registry's answer and now: the client retries.
    asio::post(client.executor, [weak = client.client] {
      if (auto c = weak.lock()) c->closed_by_program(1013, "the shared program is ending; retry");
    });
  });
}

void SharedProgramRef::leave(std::uint64_t client_id, std::uint16_t close_code) const {
  asio::post(*home_, [program = program_, client_id, close_code] {
    if (auto p = program.lock()) p->leave(client_id, close_code);
  });
}

void SharedProgramRef::send(std::uint64_t client_id, std::string message) const {
  asio::post(*home_, [program = program_, client_id, message = std::move(message)]() mutable {
    if (auto p = program.lock()) p->send(client_id, std::move(message));
  });
}

}  // namespace wsexec
