#include "sse/sse_shared_client.hpp"

#include <string>

#include "core/limits.hpp"
#include "core/shared_protocol.hpp"
#include "http/connection_info.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/server_state.hpp"
#include "shared/shared_launch.hpp"
#include "shared/shared_registry.hpp"
#include "sse/sse_session.hpp"

namespace wsexec {

namespace {

// What a WebSocket client's close code is when it sent none.
constexpr std::uint16_t kVanished = 1006;

bool addressed(const ServerState& state) {
  return state.config.shared_mode == SharedMode::addressed;
}

}  // namespace

SseSharedJoin sse_shared_join(const ScriptTarget& target, const PeerInfo& peer,
                              const ServerState& state, const std::string& id,
                              const std::string& url, const std::string& origin) {
  SharedLaunch launch = shared_launch(target, peer, state);
  SseSharedJoin join;
  join.key = std::move(launch.key);
  join.launch = std::move(launch.request);
  join.id = id;
  if (addressed(state)) join.open_event = open_event({id, peer.remote_address, url, origin});
  return join;
}

std::shared_ptr<SseSharedClient> SseSharedClient::join(const std::shared_ptr<SseSession>& session,
                                                       SseSharedJoin join, ServerState& state,
                                                       Worker& worker) {
  auto client = std::make_shared<SseSharedClient>(session, join.id, state);
  SharedClientHandle handle;
  handle.id = client->numeric_id_;
  handle.client = client;
  handle.executor = session->executor();
  handle.open_event = std::move(join.open_event);
  client->program_ =
      state.shared_programs->join_or_start(join.key, worker, join.launch, std::move(handle));
  if (!client->program_) {
    log::write(LogLevel::error, "session", session->log_context(),
               "--maxforks programs are running: the shared program cannot start");
    client->left_ = true;
    session->end_with(1013, "too many programs running");  // what a WebSocket client gets
  }
  return client;
}

SseSharedClient::SseSharedClient(std::weak_ptr<SseSession> session, std::string id,
                                 ServerState& state)
    : session_(std::move(session)),
      id_(std::move(id)),
      numeric_id_(std::stoull(id_)),
      state_(state) {}

SseSharedClient::~SseSharedClient() {
  leave();
}

unsigned SseSharedClient::send(const std::string& message, bool binary) {
  if (left_) return 404;
  const bool binary_mode = state_.config.binary;
  if (binary != binary_mode) return 415;
  // As for a WebSocket client: past this much not yet in the program's
  // stdin, the client waits (here: is told to send again later).
  if (input_waiting_ >= limits::kSharedClientInputBytes) return 429;
  std::string line;
  if (addressed(state_)) {
    line = message_event(id_, message, binary_mode);
  } else {
    line = message;
    if (!binary_mode) line.push_back('\n');
  }
  input_waiting_ += line.size();
  program_.send(numeric_id_, std::move(line));
  return 204;
}

void SseSharedClient::leave() {
  if (left_ || !program_) return;
  left_ = true;
  program_.leave(numeric_id_, kVanished);
}

void SseSharedClient::program_running(pid_t pid) {
  if (left_) return;
  if (auto session = session_.lock()) session->shared_program_running(pid);
}

// The piece goes into the outbox whole. The bound is on how far behind the
// client is (--sendqueue, counted in the events' bytes not yet written to
// its stream), not on one piece's size; detached, the session's own bound
// (--resumebuffer) applies instead, as for a per-connection session.
void SseSharedClient::deliver(SharedOutputPtr output) {
  auto session = session_.lock();
  if (!session || left_) return;
  if (attached_and_too_far_behind(*session, output->bytes)) return fell_behind(*session);
  SseOutbox& outbox = session->outbox();
  for (const std::string& message : output->messages) {
    metrics::message_to_client(message.size());
    outbox.publish_message(message, output->binary);
  }
  session->end_if_buffer_overflows();
}

bool SseSharedClient::attached_and_too_far_behind(SseSession& session, std::size_t adding) const {
  SseOutbox& outbox = session.outbox();
  if (!outbox.attached()) return false;
  const std::size_t behind = outbox.unsent_bytes();
  return behind != 0 && behind + adding > state_.config.send_queue_bytes;
}

// The others and the program must not wait for it: it leaves the program,
// and its stream ends with close 1008 after what it already has.
void SseSharedClient::fell_behind(SseSession& session) {
  log::write(LogLevel::info, "session", session.log_context(),
             "client fell more than " + std::to_string(state_.config.send_queue_bytes) +
                 " bytes behind (--sendqueue): closed 1008");
  leave();
  session.end_with(1008, "too slow to keep up");
}

void SseSharedClient::input_written(std::size_t bytes) {
  input_waiting_ -= std::min(bytes, input_waiting_);
}

// After the program's last piece for us (posted in order from its thread).
void SseSharedClient::closed_by_program(std::uint16_t code, std::string reason) {
  left_ = true;  // the program has forgotten us already
  if (auto session = session_.lock()) session->end_with(code, reason);
}

}  // namespace wsexec
