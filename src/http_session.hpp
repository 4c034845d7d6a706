#pragma once
// The first phase of every connection: read a request with limits, then
// either hand a WebSocket upgrade to ws_session or answer plain HTTP.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "server_state.hpp"
#include "worker.hpp"

namespace wsexec {

boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              ServerState& state, Worker& worker);

}  // namespace wsexec
