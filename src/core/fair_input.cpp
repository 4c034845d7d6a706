#include "core/fair_input.hpp"

namespace wsexec {

void FairInput::push(SourceId source, std::string message) {
  auto& queue = queues_[source];
  if (queue.empty()) turn_order_.push_back(source);  // a source in line waits its turn
  queued_bytes_ += message.size();
  queue.push_back(std::move(message));
}

namespace {

void add_taken(FairInput::Taken& taken, FairInput::SourceId source, std::size_t bytes) {
  for (auto& [id, count] : taken) {
    if (id == source) {
      count += bytes;
      return;
    }
  }
  taken.emplace_back(source, bytes);
}

}  // namespace

FairInput::Taken FairInput::take_turns(std::size_t budget, std::string& out) {
  Taken taken;
  std::size_t taken_bytes = 0;
  while (!turn_order_.empty() && (taken_bytes == 0 || taken_bytes < budget)) {
    const SourceId source = turn_order_.front();
    turn_order_.pop_front();
    auto found = queues_.find(source);
    std::string& message = found->second.front();
    out.append(message);
    taken_bytes += message.size();
    queued_bytes_ -= message.size();
    add_taken(taken, source, message.size());
    found->second.pop_front();
    if (found->second.empty()) {
      queues_.erase(found);
    } else {
      turn_order_.push_back(source);  // to the back of the line: the others go first
    }
  }
  return taken;
}

FairInput::Taken FairInput::clear() {
  Taken dropped;
  for (auto& [source, queue] : queues_) {
    std::size_t bytes = 0;
    for (const auto& message : queue) bytes += message.size();
    dropped.emplace_back(source, bytes);
  }
  queues_.clear();
  turn_order_.clear();
  queued_bytes_ = 0;
  return dropped;
}

}  // namespace wsexec
