#pragma once
// --cgidir: one CGI/1.1 exchange (RFC 3875) for one HTTP request. The
// request body goes to the script's stdin, its output is parsed and sent
// back (in one write when it is short and quick, else streamed), its stderr
// goes to the log, and the script is ended by the ladder if the client goes
// away. Templated on the stream like the sessions.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <optional>
#include <string>

#include "http/connection_info.hpp"
#include "server/connection_streams.hpp"
#include "server/server_state.hpp"

namespace wsexec {

struct CgiOutcome {
  bool keep_alive = false;                    // the connection may serve another request
  std::optional<std::string> local_redirect;  // the script asked for this local path instead
};

using CgiHeadParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// Runs `script` for `head`. `body` is the parser that read the head, when
// the request's body (if any) is still on the stream (and partly in
// `buffer`); nullptr for a request without one (a local redirect's GET).
template <typename Stream>
boost::asio::awaitable<CgiOutcome> exchange_cgi(Stream& stream, boost::beast::flat_buffer& buffer,
                                                CgiHeadParser* body, const RequestHead& head,
                                                const ScriptTarget& script, const PeerInfo& peer,
                                                const std::string& url, ServerState& state);

#define WSEXEC_CGI_EXCHANGE_FOR(Stream)                                        \
  boost::asio::awaitable<CgiOutcome> exchange_cgi(                             \
      Stream&, boost::beast::flat_buffer&, CgiHeadParser*, const RequestHead&, \
      const ScriptTarget&, const PeerInfo&, const std::string&, ServerState&)
extern template WSEXEC_CGI_EXCHANGE_FOR(PlainStream);
extern template WSEXEC_CGI_EXCHANGE_FOR(TlsStream);
extern template WSEXEC_CGI_EXCHANGE_FOR(UnixStream);

}  // namespace wsexec
