#pragma once
// How a connection becomes a WebSocket: the transport it keeps after the
// upgrade, and the options of Beast's stream (timeouts, pings, our 101's
// headers, the message limit). Beast's WebSocket is in this header: include
// it only in src/websocket.
#include <poll.h>

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/limits.hpp"
#include "server/connection_streams.hpp"
#include "server/log.hpp"
#include "server/server_state.hpp"
#include "websocket/lowest_socket.hpp"

namespace wsexec {

// Beast's WebSocket keeps its own timers, so after the upgrade the HTTP
// side's timed stream is traded for its bare socket: about half a KiB less
// per connection. The TLS stream is kept whole.
inline boost::asio::ip::tcp::socket websocket_transport(PlainStream&& stream) {
  return stream.release_socket();
}
inline boost::asio::local::stream_protocol::socket websocket_transport(UnixStream&& stream) {
  return stream.release_socket();
}
inline TlsStream websocket_transport(TlsStream&& stream) {
  return std::move(stream);
}

// Whether the peer reset the connection (or it failed otherwise), asked
// without reading: a FIN alone is not a failure, as the client's last
// messages may still be waiting in the socket to be read.
template <typename Socket>
bool socket_failed(Socket& socket) {
  pollfd state{socket.native_handle(), 0, 0};  // POLLERR and POLLHUP are always reported
  if (::poll(&state, 1, 0) < 0) return false;
  return (state.revents & (POLLERR | POLLHUP)) != 0;
}

// Says in the log why a client's reads ended, unless it was the ordinary
// end (a close frame, or our own cancellation): the same words for every
// kind of session.
inline void log_client_read_end(boost::system::error_code ec, const std::string& context) {
  if (ec == boost::beast::websocket::error::message_too_big) {
    log::write(LogLevel::info, "session", context,
               "client message over --maxframesize, closed 1009");
  } else if (ec != boost::beast::websocket::error::closed &&
             ec != boost::asio::error::operation_aborted) {
    log::write(LogLevel::debug, "session", context, "client read ended: " + ec.message());
  }
}

// `subprotocol`: the one chosen for this client (negotiation.hpp), or
// nullptr; it must outlive the handshake.
template <typename NextLayer>
void configure_websocket(boost::beast::websocket::stream<NextLayer>& ws, const ServerState& state,
                         const std::string* subprotocol) {
  namespace websocket = boost::beast::websocket;
  const Config& config = state.config;
  auto timeouts = websocket::stream_base::timeout::suggested(boost::beast::role_type::server);
  timeouts.handshake_timeout = limits::kHandshakeTimeout;
  if (config.ping_ms > 0) {
    // Beast pings after half the idle time without traffic and drops the
    // client after the whole of it: ping every MS, drop after 2 x MS.
    timeouts.idle_timeout =
        std::chrono::milliseconds(2 * static_cast<std::uint64_t>(config.ping_ms));
    timeouts.keep_alive_pings = true;
  } else {
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
  }
  ws.set_option(timeouts);
  ws.set_option(
      websocket::stream_base::decorator([&state, subprotocol](websocket::response_type& response) {
        response.set(boost::beast::http::field::server, state.server_software);
        for (const auto& header : state.config.headers) response.insert(header.name, header.value);
        for (const auto& header : state.config.headers_ws) {
          response.insert(header.name, header.value);
        }
        // Set last: the negotiated choice replaces one given by --header-ws.
        if (subprotocol)
          response.set(boost::beast::http::field::sec_websocket_protocol, *subprotocol);
      }));
  ws.read_message_max(config.max_frame_size);  // 0: no limit, as --maxframesize=0 means
  // One frame per message: fragmenting our own messages only costs syscalls.
  ws.auto_fragment(false);
}

// What the server does when a client's close frame arrives: answers invalid
// codes with 1002, then tells the session.
//
// Beast reads a close frame and checks its code against the ranges RFC 6455
// forbids, but takes every code from 5000 up (which the RFC gives no
// meaning: section 7.4.2) for a valid one and would echo it. Its control
// callback runs after the frame is read and before the reply is written, so
// the layer under Beast is told to answer 1002 instead (see
// CorkableStream::answer_next_close_with). Then `on_close_frame()` runs: the
// client has said it sends nothing more, while Beast has still to answer it
// and wait for its end of the connection. `log_context` must outlive `ws`.
template <typename NextLayer, typename OnCloseFrame>
void watch_client_close_frames(boost::beast::websocket::stream<NextLayer>& ws,
                               const std::string& log_context, OnCloseFrame on_close_frame) {
  namespace websocket = boost::beast::websocket;
  constexpr std::uint16_t kFirstCodeBeyondTheRfc = 5000;
  ws.control_callback([&ws, &log_context, on_close_frame = std::move(on_close_frame)](
                          websocket::frame_type kind, boost::beast::string_view) {
    if (kind != websocket::frame_type::close) return;
    const std::uint16_t code = ws.reason().code;
    if (code >= kFirstCodeBeyondTheRfc) {
      ws.next_layer().answer_next_close_with(websocket::close_code::protocol_error);
      log::write(LogLevel::info, "session", log_context,
                 "client closed with invalid code " + std::to_string(code) + ", answered 1002");
    }
    on_close_frame();
  });
}

}  // namespace wsexec
