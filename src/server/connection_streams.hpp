#pragma once
// The byte streams a connection can run over. The HTTP and WebSocket
// sessions are templates on these and differ only in the stream they own.
// Beast and OpenSSL are in this header: include it only where a session is
// instantiated.
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace wsexec {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using UnixStream = boost::beast::basic_stream<boost::asio::local::stream_protocol>;

}  // namespace wsexec
