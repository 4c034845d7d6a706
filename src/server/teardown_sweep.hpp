#pragma once
// A limit on how long a WebSocket connection may wait for its client to
// end TCP once the closing handshake is over. Beast's teardown half-closes
// our side and then reads until the client's FIN (or, over TLS, its
// close_notify). When the client began the closing handshake no timer of
// Beast's covers that wait (one we began is bounded by Beast's handshake
// timeout): a client that reads our close reply and keeps its end open
// would hold the session, its exited program's zombie and its --maxforks
// slot for as long as it stays.
//
// One sweep per worker, not a timer per connection (a timer per
// connection's teardown cost churn 4 %: docs/performance.md, "What ending
// a session safely costs in churn"). A connection in teardown links an
// Entry here, which costs two pointer updates; one timer ticks every
// `period` for as long as anything was linked at the last tick, and each
// tick ends the teardown of the entries that have seen two ticks: each
// waits between one and two periods. An entry unlinks when its owner goes
// (the stream, with its session), not when the teardown ends: a session
// whose teardown has finished but that is still ending its program may
// have its socket closed again by a tick, which is harmless (the socket is
// closed already, or nothing uses it any more).
//
// A worker that is stopping (finish_when_empty) cancels the timer as soon
// as the list is empty, so a pending tick does not hold its run() up to a
// period after its last session has gone.
//
// Runs on its worker's thread only, as everything of a worker does.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace wsexec {

class TeardownSweep {
 public:
  // One connection's wait for its client's end, linked while it waits.
  class Entry {
   public:
    Entry() = default;
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    bool linked() const noexcept { return sweep_ != nullptr; }
    // Takes the entry off its sweep's list (nothing when it is not on one).
    void unlink() noexcept;

   protected:
    // Unlinks: an entry that goes is never looked at again.
    virtual ~Entry() { unlink(); }

   private:
    friend class TeardownSweep;
    // Ends the wait at once (closes the connection's socket). Called on the
    // worker's thread, once, after the entry was unlinked.
    virtual void end_wait() noexcept = 0;

    TeardownSweep* sweep_ = nullptr;
    Entry* previous_ = nullptr;
    Entry* next_ = nullptr;
    std::uint32_t linked_at_tick_ = 0;
  };

  TeardownSweep(boost::asio::io_context& context, std::chrono::milliseconds period);
  // Entries still linked are let go unended: whatever owns them goes with
  // the io_context (see Worker's members).
  ~TeardownSweep();
  TeardownSweep(const TeardownSweep&) = delete;
  TeardownSweep& operator=(const TeardownSweep&) = delete;

  // Starts `entry`'s wait; it is ended two ticks from now unless it
  // unlinks first. An entry already linked keeps its place.
  void link(Entry& entry) noexcept;
  // From now on, the timer is cancelled whenever the list is empty (a
  // stopping worker's run() returns once it is out of work).
  void finish_when_empty() noexcept;
  // Entries waiting now (tests, metrics).
  std::size_t linked_count() const noexcept { return linked_; }

 private:
  void arm();
  void on_tick();
  void stop_ticking() noexcept;

  std::chrono::milliseconds period_;
  boost::asio::steady_timer timer_;
  Entry* first_ = nullptr;  // the newest first: the oldest are at the end
  Entry* last_ = nullptr;
  std::size_t linked_ = 0;
  std::uint32_t tick_ = 0;
  bool ticking_ = false;
  bool finishing_ = false;
};

}  // namespace wsexec
