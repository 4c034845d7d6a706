#pragma once
// --staticdir: one file, answered with what browsers and media players
// expect: Content-Type, Last-Modified and 304, byte ranges (206, 416), HEAD,
// and a body streamed in pieces (never read whole into memory).
#include <boost/asio/awaitable.hpp>
#include <string>

#include "http/connection_info.hpp"
#include "server/connection_streams.hpp"
#include "server/server_state.hpp"

namespace wsexec {

// Serves `absolute_path` (a regular file the static resolver accepted) for a
// GET or HEAD. Returns whether the connection may serve another request.
template <typename Stream>
boost::asio::awaitable<bool> serve_static_file(Stream& stream, const RequestHead& request,
                                               const std::string& absolute_path,
                                               const std::string& log_context, ServerState& state);

extern template boost::asio::awaitable<bool> serve_static_file(PlainStream&, const RequestHead&,
                                                               const std::string&,
                                                               const std::string&, ServerState&);
extern template boost::asio::awaitable<bool> serve_static_file(TlsStream&, const RequestHead&,
                                                               const std::string&,
                                                               const std::string&, ServerState&);
extern template boost::asio::awaitable<bool> serve_static_file(UnixStream&, const RequestHead&,
                                                               const std::string&,
                                                               const std::string&, ServerState&);

}  // namespace wsexec
