// The one translation unit that compiles Asio's and Beast's non-template
// code (BOOST_*_SEPARATE_COMPILATION is set for every target that links
// wsexec_boost_impl). Keeping it here makes every other file cheaper to build.
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
