#include "shared/shared_input.hpp"

#include <boost/asio/write.hpp>

#include "core/limits.hpp"

namespace wsexec {

namespace asio = boost::asio;
using boost::system::error_code;

void SharedInput::attach(asio::posix::stream_descriptor& pipe) {
  pipe_ = &pipe;
  write_some();
}

void SharedInput::push(FairInput::SourceId source, std::string message) {
  if (broken_ || closing_) {
    on_taken_({{source, message.size()}});  // dropped: the sender is not held back by it
    return;
  }
  queued_.push(source, std::move(message));
  write_some();
}

// One write at a time: what arrives meanwhile waits for the next turn, so a
// write carries many clients' messages at once when the program is busy.
void SharedInput::write_some() {
  if (!pipe_ || in_flight_ || queued_.empty()) return close_if_drained();
  in_flight_ = true;
  writing_taken_ = queued_.take_turns(limits::kSharedInputTurnBytes, writing_);
  asio::async_write(*pipe_, asio::buffer(writing_),
                    [this, owner = owner_.lock()](error_code ec, std::size_t) {
                      in_flight_ = false;
                      writing_ = std::string();  // an idle program's stdin holds no buffer
                      on_taken_(std::exchange(writing_taken_, {}));
                      if (ec) {
                        // The program closed its stdin or is ending: its
                        // stdout decides what happens next.
                        broken_ = true;
                        drop_all();
                      }
                      write_some();
                    });
}

void SharedInput::close_after_drain() {
  closing_ = true;
  close_if_drained();
}

void SharedInput::drop_all() {
  on_taken_(queued_.clear());
}

void SharedInput::close_if_drained() {
  if (!closing_ || in_flight_ || !pipe_ || (!queued_.empty() && !broken_)) return;
  error_code ignored;  // closing twice, or a pipe already broken, is fine
  pipe_->close(ignored);
}

}  // namespace wsexec
