// The one translation unit that compiles Asio's and Beast's non-template code
// for the bench (BOOST_*_SEPARATE_COMPILATION is set for every bench target).
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
