#pragma once
// Which worker takes a new connection. Pure: the loads in, an index out.
#include <cstddef>
#include <span>

namespace wsexec {

// How much busier than the least loaded worker the accepting worker may be
// and still keep a new connection for itself.
inline constexpr std::size_t kAcceptorSlack = 2;

// `loads[i]`: the connections worker i has (index 0 is the one that
// accepts). The accepting worker keeps the connection while its load is
// within `slack` of the least loaded one's; otherwise the least loaded
// worker (the first of equals) takes it. So light traffic stays on one
// thread, where a connection costs no other thread a wake-up (measured with
// serial connections: 0.88x the floor server's rate on one worker, 0.77x
// when they alternated between two), and a crowd still spreads over all.
// An empty `loads` gives 0.
std::size_t choose_worker(std::span<const std::size_t> loads, std::size_t slack = kAcceptorSlack);

}  // namespace wsexec
