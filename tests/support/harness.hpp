// What most integration tests include: the server runner, the client, temp
// dirs, helpers, plus a few GoogleTest glue pieces.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "server_process.hpp"
#include "temp_dir.hpp"
#include "test_helpers.hpp"
#include "ws_client.hpp"

namespace wsexec_test {

// Lets GoogleTest print events and kinds readably in failure messages.
inline void PrintTo(const WsEvent& event, std::ostream* out) {
  *out << describe(event);
}
inline void PrintTo(EventKind kind, std::ostream* out) {
  WsEvent event;
  event.kind = kind;
  *out << describe(event);
}

// Options to reach this server on its IPv4 loopback port.
inline ConnectOptions client_options(const ServerProcess& server, std::string target = "/") {
  ConnectOptions options;
  options.port = server.port();
  options.target = std::move(target);
  return options;
}

inline std::unique_ptr<WsClient> connect_to(const ServerProcess& server, std::string target = "/") {
  return WsClient::connect(client_options(server, std::move(target)));
}

inline testing::AssertionResult IsText(const WsEvent& event, std::string_view expected) {
  if (event.kind == EventKind::text && event.data == expected) return testing::AssertionSuccess();
  WsEvent wanted;
  wanted.kind = EventKind::text;
  wanted.data = std::string(expected);
  return testing::AssertionFailure()
         << "expected " << describe(wanted) << ", got " << describe(event);
}

inline testing::AssertionResult IsClose(const WsEvent& event, int code) {
  if (event.kind == EventKind::closed && event.close_code == code) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << "expected a close frame with code " << code << ", got " << describe(event);
}

// A close frame with this code and exactly this reason ("exit 3", "idle").
inline testing::AssertionResult IsCloseWithReason(const WsEvent& event, int code,
                                                  std::string_view reason) {
  if (event.kind == EventKind::closed && event.close_code == code && event.reason == reason) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "expected a close frame with code " << code
                                     << " and reason \"" << reason << "\", got " << describe(event);
}

// Splits the messages of an `env` child into NAME -> value.
inline std::map<std::string, std::string> parse_env(const Transcript& transcript) {
  std::map<std::string, std::string> variables;
  for (const WsEvent& line : transcript.messages) {
    auto equals = line.data.find('=');
    if (equals != std::string::npos) {
      variables.emplace(line.data.substr(0, equals), line.data.substr(equals + 1));
    }
  }
  return variables;
}

}  // namespace wsexec_test
