#pragma once
// One running instance of an endpoint's program, serving every client of
// that endpoint (--shared). It lives on one worker (its "home", where its
// first client arrived); its clients live on any. Its output is read
// always, whatever the clients do, and each piece is made once and posted
// to every client's executor (SharedOutput); its stdin takes every
// client's messages in fair turns (SharedInput). It is kept alive by its
// own waits (the pipes, the exit watch, the idle timer), never by its
// clients or the registry, so it is always destroyed on its home thread.
//
// Started when its first client arrives; kept when the last one leaves,
// unless --sharedidlems ends it; when it exits, each client gets close 1000
// with the exit status as reason, and the registry forgets it, so the next
// client starts a new one. It holds one --maxforks slot.
#include <sys/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "process/output_pump.hpp"
#include "process/spawn_request.hpp"
#include "server/fork_slot.hpp"
#include "server/worker.hpp"
#include "shared/shared_client.hpp"
#include "shared/shared_fanout.hpp"
#include "shared/shared_input.hpp"

namespace wsexec {

class ChildSupervisor;
class SharedRegistry;
struct ServerState;

class SharedProgram : public std::enable_shared_from_this<SharedProgram>,
                      public OutputSink,
                      public Stoppable {
 public:
  // Made on any thread (the registry's caller); start() runs on `home`.
  SharedProgram(ServerState& state, Worker& home, std::string key, SpawnRequest request,
                ForkSlot slot);
  ~SharedProgram();

  boost::asio::any_io_executor executor() const { return executor_; }
  boost::asio::io_context& home_context() const { return home_.context(); }

  // On the home thread from here on.
  void start();
  void join(SharedClientHandle client);
  // `close_code`: how the client went (the "close" event, addressed).
  void leave(std::uint64_t client_id, std::uint16_t close_code);
  void send(std::uint64_t client_id, std::string message);
  void stop() override;  // server shutdown: through the ladder

 private:
  void on_started(StartedChild started, std::error_code error);
  void start_failed(const std::string& why);
  void on_exited();
  void finish_if_done();
  void forget();
  void arm_idle_timer();
  void credit(const FairInput::Taken& taken);

  void on_output(OutputPump& pump) override;
  void on_output_end(OutputPump& pump) override;
  std::shared_ptr<void> keep_alive() override { return shared_from_this(); }
  template <typename NextPiece>
  void fan_out(const OutputPump& pump, NextPiece next_piece);
  void encode_once(SharedOutput& output) const;  // its frames, for every client
  void post_to_each(const std::shared_ptr<const SharedOutput>& output);
  // --shared=addressed: each line of stdout is a command (core/shared_protocol).
  template <typename NextPiece>
  void route_commands(NextPiece next_piece);
  void post_to(const SharedClientHandle& client, const std::shared_ptr<const SharedOutput>& output);
  void kick(std::uint64_t client_id, std::uint16_t code, const std::string& reason);
  void close_every_client(std::uint16_t code, const std::string& reason);

  ServerState& state_;
  Worker& home_;
  boost::asio::any_io_executor executor_;
  std::string key_;
  SpawnRequest request_;
  std::string context_;           // the log's context: command, then pid
  std::optional<ForkSlot> slot_;  // handed to the supervisor once the program runs
  std::optional<WorkerRegistration> registration_;  // made on the home thread
  std::shared_ptr<ChildSupervisor> supervisor_;
  std::optional<OutputPump> stdout_pump_;
  std::optional<OutputPump> stderr_pump_;
  std::optional<SharedInput> input_;
  std::unordered_map<std::uint64_t, SharedClientHandle> clients_;
  SharedFanout fanout_;  // clients_ by worker: one post per worker per piece
  boost::asio::steady_timer idle_timer_;
  pid_t pid_ = -1;
  bool running_ = false;
  bool ending_ = false;    // idle or server stop: no new clients
  bool finished_ = false;  // exited (or never started): clients closed
  bool stdout_ended_ = false;
  bool exited_ = false;
  bool addressed_ = false;
};

// A client's way to its program: every call is posted to the program's
// thread, and does nothing once the program is gone.
class SharedProgramRef {
 public:
  SharedProgramRef() = default;
  // Made without a strong reference, so the program's last owner is never
  // a client's thread.
  SharedProgramRef(std::weak_ptr<SharedProgram> program, boost::asio::io_context& home)
      : program_(std::move(program)), home_(&home) {}
  explicit operator bool() const { return home_ != nullptr; }

  void join(SharedClientHandle client) const;
  void leave(std::uint64_t client_id, std::uint16_t close_code) const;
  void send(std::uint64_t client_id, std::string message) const;

 private:
  std::weak_ptr<SharedProgram> program_;
  // The program's thread, as its io_context, not an any_io_executor: every
  // client holds one of these, and that is 8 bytes instead of 48.
  boost::asio::io_context* home_ = nullptr;
};

}  // namespace wsexec
