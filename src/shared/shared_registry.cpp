#include "shared/shared_registry.hpp"

#include <boost/asio/post.hpp>

#include "server/server_state.hpp"

namespace wsexec {

SharedProgramRef SharedRegistry::find_or_start(const std::string& key, Worker& home,
                                               const SpawnRequest& request) {
  const std::lock_guard lock(mutex_);
  auto found = programs_.find(key);
  if (found != programs_.end() && !found->second.program.expired()) {
    return SharedProgramRef(found->second.program, found->second.executor);
  }
  auto slot = ForkSlot::try_acquire(state_);
  if (!slot) return {};
  auto program = std::make_shared<SharedProgram>(state_, home, key, request, std::move(*slot));
  const auto executor = program->executor();
  programs_.insert_or_assign(key, Entry{program, program.get(), executor});
  SharedProgramRef ref(program, executor);
  // From here the only owner is on the home thread.
  boost::asio::post(executor, [program = std::move(program)] { program->start(); });
  return ref;
}

void SharedRegistry::forget(const std::string& key, const SharedProgram* program) {
  const std::lock_guard lock(mutex_);
  auto found = programs_.find(key);
  if (found != programs_.end() && found->second.identity == program) programs_.erase(found);
}

}  // namespace wsexec
