#pragma once
// The shared program's stdin: every client's messages, written in fair
// turns (core/fair_input), one write at a time, whole messages only, so
// lines from different clients never interleave. After each write the
// clients whose bytes it carried are credited (`on_taken`), which is what
// lets a paused client read again: a program that stops reading stops its
// clients, each at its own bound, and a busy one cannot hold a quiet one
// back by more than one turn.
//
// Runs on the program's worker; every member is called from it. Messages
// queue before the program runs (attach() gives the pipe once it does).
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/fair_input.hpp"

namespace wsexec {

class SharedInput {
 public:
  using OnTaken = std::function<void(const FairInput::Taken&)>;

  // `owner` holds this and the pipe: kept alive while a write is in flight.
  SharedInput(std::weak_ptr<void> owner, OnTaken on_taken)
      : owner_(std::move(owner)), on_taken_(std::move(on_taken)) {}

  void attach(boost::asio::posix::stream_descriptor& pipe);
  void push(FairInput::SourceId source, std::string message);
  // EOF for the program once what is queued is written (the ladder's first
  // step); later messages are dropped (and credited).
  void close_after_drain();
  // The program is gone: what is queued is dropped, its senders credited.
  void drop_all();

 private:
  void write_some();
  void close_if_drained();

  boost::asio::posix::stream_descriptor* pipe_ = nullptr;
  std::weak_ptr<void> owner_;
  OnTaken on_taken_;
  FairInput queued_;
  std::string writing_;
  FairInput::Taken writing_taken_;
  bool in_flight_ = false;
  bool broken_ = false;
  bool closing_ = false;
};

}  // namespace wsexec
