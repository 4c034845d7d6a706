#pragma once
// The bridge between Beast's request and the pure router: the head's facts
// as plain values, and the router's settings from the server's state.
#include "core/request_router.hpp"
#include "http/connection_info.hpp"

namespace wsexec {

struct ServerState;
class ServedDirectory;

RequestHeadFacts head_facts(const RequestHead& request, bool on_redirect_listener);

// Holds references into `state`, which outlives every connection.
RouterSettings router_settings_for(const ServerState& state);

// Single-command mode, as websocketd names it: the script is the root and
// the whole path is PATH_INFO.
ScriptTarget command_target(const ServerState& state, const RequestHead& request);

// A script the router chose under --dir or --cgidir.
ScriptTarget script_target(const ServedDirectory& directory, const ScriptRoute& route,
                           const RequestHead& request);

}  // namespace wsexec
