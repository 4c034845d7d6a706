#pragma once
// The WebSocket half of a connection: completes the upgrade, starts the
// child, relays both ways and ends both sides cleanly. Beast is in this
// header, so only http_session.cpp and ws_session.cpp include it.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <string>
#include <vector>

#include "connection_streams.hpp"
#include "server_state.hpp"
#include "worker.hpp"

namespace wsexec {

// Facts about the TCP connection, known before the request is read.
struct PeerInfo {
  std::string remote_address;  // no brackets
  unsigned remote_port = 0;
  unsigned local_port = 0;
  bool tls = false;
  std::string client_subject;  // the TLS client certificate's subject, if any
};

// What a connection runs: the command, or the script --dir chose, with the
// CGI names for it.
struct ScriptTarget {
  std::string executable;          // the path to execute
  std::vector<std::string> argv;   // argv[0] included
  std::string script_name;         // SCRIPT_NAME
  std::string path_info;           // PATH_INFO
  std::string path_translated;     // PATH_TRANSLATED
};

using UpgradeRequest = boost::beast::http::request<boost::beast::http::empty_body>;

// Takes over a connection whose upgrade request passed the origin policy
// and holds a --maxforks slot. Runs on the stream's worker until both the
// client and the child are gone.
template <typename Stream>
void start_ws_session(Stream stream, UpgradeRequest request, PeerInfo peer, ScriptTarget target,
                      ForkSlot slot, ServerState& state, Worker& worker);

extern template void start_ws_session(PlainStream, UpgradeRequest, PeerInfo, ScriptTarget,
                                      ForkSlot, ServerState&, Worker&);
extern template void start_ws_session(TlsStream, UpgradeRequest, PeerInfo, ScriptTarget,
                                      ForkSlot, ServerState&, Worker&);

}  // namespace wsexec
