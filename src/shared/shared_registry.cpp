#include "shared/shared_registry.hpp"

#include <boost/asio/post.hpp>

#include "server/server_state.hpp"

namespace wsexec {

SharedProgramRef SharedRegistry::join_or_start(const std::string& key, Worker& home,
                                               const SpawnRequest& request,
                                               SharedClientHandle client) {
  const std::lock_guard lock(mutex_);
  auto found = programs_.find(key);
  if (found != programs_.end() && !found->second.program.expired()) {
    SharedProgramRef ref(found->second.program, *found->second.home);
    ref.join(std::move(client));
    return ref;
  }
  auto slot = ForkSlot::try_acquire(state_);
  if (!slot) return {};
  auto program = std::make_shared<SharedProgram>(state_, home, key, request, std::move(*slot));
  boost::asio::io_context& context = program->home_context();
  programs_.insert_or_assign(key, Entry{program, program.get(), &context});
  SharedProgramRef ref(program, context);
  // From here the only owner is on the home thread.
  boost::asio::post(context, [program = std::move(program), client = std::move(client)]() mutable {
    program->start();
    program->join(std::move(client));  // before the spawn's answer can arrive
  });
  return ref;
}

void SharedRegistry::forget(const std::string& key, const SharedProgram* program) {
  const std::lock_guard lock(mutex_);
  auto found = programs_.find(key);
  if (found != programs_.end() && found->second.identity == program) programs_.erase(found);
}

}  // namespace wsexec
