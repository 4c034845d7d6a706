#include "websocket/remote_host.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace wsexec {

boost::asio::awaitable<std::string> lookup_remote_host(boost::asio::any_io_executor executor,
                                                       std::string address, unsigned port) {
  namespace asio = boost::asio;
  // Asio resolves on its own background thread, so a slow DNS server
  // delays only this connection, never the event loop.
  asio::ip::tcp::resolver resolver(executor);
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) co_return address;
  auto results = co_await resolver.async_resolve(asio::ip::tcp::endpoint(ip, port),
                                                 asio::redirect_error(asio::use_awaitable, ec));
  if (ec || results.empty()) co_return address;
  co_return results.begin()->host_name();
}

}  // namespace wsexec
