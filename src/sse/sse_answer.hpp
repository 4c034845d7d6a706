#pragma once
// A plain answer of the SSE transport's own (404, 429, 204...), with the
// headers every plain response carries, logged like the HTTP session's.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/write.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/limits.hpp"
#include "http/connection_info.hpp"
#include "http/plain_response.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "server/server_state.hpp"

namespace wsexec {

inline PlainResponse no_content_response(unsigned version, bool keep_alive,
                                         const ServerState& state) {
  PlainResponse response{boost::beast::http::status::no_content, version};
  add_plain_response_headers(response, state.config, state.server_software);
  response.keep_alive(keep_alive);
  return response;
}

template <typename Stream>
boost::asio::awaitable<void> sse_answer(
    Stream& stream, boost::beast::http::status status, unsigned version, bool keep_alive,
    const ServerState& state, const std::string& context, LogLevel level = LogLevel::access,
    const std::vector<std::pair<boost::beast::http::field, std::string>>& extra = {}) {
  // 204 has no body (plain_response's text would make Beast throw).
  PlainResponse response =
      status == boost::beast::http::status::no_content
          ? no_content_response(version, keep_alive, state)
          : plain_response(status, version, keep_alive, state.config, state.server_software);
  for (const auto& [field, value] : extra) response.set(field, value);
  log::write(level, "http", context, access_label(status));
  metrics::responded(static_cast<unsigned>(status));
  boost::system::error_code ec;  // a client that left before its answer needs nothing more
  boost::beast::get_lowest_layer(stream).expires_after(limits::kResponseTimeout);
  co_await boost::beast::http::async_write(
      stream, response, boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

}  // namespace wsexec
