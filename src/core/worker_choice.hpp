#pragma once
// Which worker takes a new connection. Pure: the loads in, an index out.
#include <cstddef>
#include <span>

namespace wsexec {

// How much busier than the least loaded worker the accepting worker may be
// and still keep a new connection for itself: at least this many...
inline constexpr std::size_t kAcceptorSlack = 2;
// ... or this share of the least loaded worker's connections (one eighth).
// A fixed slack alone was lost beside idle connections: 1,000 of them held
// left the workers 2 or 3 apart, so serial connections arriving beside them
// went to the other worker, or alternated, paying the wake-up that staying
// put avoids (issue 16, docs/performance.md). An eighth more connections on
// the acceptor is no imbalance worth a wake-up per connection.
inline constexpr std::size_t kAcceptorSlackShareDivisor = 8;

// `loads[i]`: the connections worker i has (index 0 is the one that
// accepts). The accepting worker keeps the connection while its load is
// within the slack (the larger of `slack` and an eighth of the least load)
// of the least loaded one's; otherwise the least loaded worker (the first of
// equals) takes it. So light traffic stays on one thread, where a
// connection costs no other thread a wake-up (measured with serial
// connections: 0.88x the floor server's rate on one worker, 0.77x when they
// alternated between two), and a crowd still spreads over all. An empty
// `loads` gives 0.
std::size_t choose_worker(std::span<const std::size_t> loads, std::size_t slack = kAcceptorSlack);

}  // namespace wsexec
