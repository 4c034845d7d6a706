#pragma once
// --reverselookup: the client's host name for REMOTE_HOST.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <string>

namespace wsexec {

// The name a reverse lookup gives `address`, or `address` itself when it
// has none (or is not an IP address: a Unix socket's peer).
boost::asio::awaitable<std::string> lookup_remote_host(boost::asio::any_io_executor executor,
                                                       std::string address, unsigned port);

}  // namespace wsexec
