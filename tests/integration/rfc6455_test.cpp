// RFC 6455 conformance over the wire (issue 12, item 1), with frames built
// byte by byte (raw_ws.hpp) so that every malformed case can be sent. Each
// case runs in line mode and in binary mode, with cat as the program: the
// protocol rules must not depend on how messages reach the program.
#include <algorithm>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "harness.hpp"
#include "raw_ws.hpp"

namespace wsexec_test {
namespace {

struct Mode {
  std::string name;
  std::vector<std::string> options;
  std::uint8_t data_opcode;
};

// Names the mode in failure messages instead of dumping its bytes.
void PrintTo(const Mode& mode, std::ostream* out) {
  *out << mode.name;
}

const Mode kLineMode{"LineMode", {}, opcode::text};
const Mode kBinaryMode{"BinaryMode", {"--binary"}, opcode::binary};

class Rfc6455 : public testing::TestWithParam<Mode> {
 protected:
  std::unique_ptr<ServerProcess> start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = GetParam().options;
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("cat");
    return std::make_unique<ServerProcess>(args);
  }

  void start_and_connect(std::vector<std::string> extra = {}) {
    server_ = start(std::move(extra));
    ws_ = RawWsConnection::upgraded(server_->port());
  }

  OutFrame data_frame(std::string payload, bool fin = true) const {
    return {.opcode = GetParam().data_opcode, .payload = std::move(payload), .fin = fin};
  }

  // A whole message of the mode's type comes back from cat; binary mode may
  // deliver it in several messages, as cat writes it.
  testing::AssertionResult echoes(const std::string& payload) {
    if (!ws_->send_frame(data_frame(payload))) {
      return testing::AssertionFailure() << "could not send " << payload.size() << " bytes";
    }
    std::string back = ws_->read_data(payload.size(), 5s);
    if (back == payload) return testing::AssertionSuccess();
    return testing::AssertionFailure() << "sent " << payload.size() << " bytes, got back "
                                       << back.size() << ": '" << back.substr(0, 80) << "'";
  }

  // The server closes with this code (any of `allowed`) and ends TCP.
  testing::AssertionResult closes_with(std::vector<int> allowed) {
    CloseOutcome outcome = ws_->read_until_close(5s);
    bool code_allowed = std::find(allowed.begin(), allowed.end(), outcome.code) != allowed.end();
    if (outcome.close_frame && code_allowed && outcome.connection_closed) {
      return testing::AssertionSuccess();
    }
    return testing::AssertionFailure() << "got " << outcome.describe();
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<RawWsConnection> ws_;
};

// ---- Framing ----------------------------------------------------------------

TEST_P(Rfc6455, PayloadLengthsInEachEncodingArriveWhole) {
  start_and_connect();
  // 0 and 125: 7-bit; 126 and 65535: 16-bit; 65536: 64-bit.
  for (std::size_t size : {125u, 126u, 65535u, 65536u}) {
    EXPECT_TRUE(echoes(std::string(size, static_cast<char>('a' + size % 26)))) << size;
  }
  // An empty message is legal; in line mode it is an empty line.
  ASSERT_TRUE(ws_->send_frame(data_frame("")));
  EXPECT_TRUE(echoes("after empty"));
}

TEST_P(Rfc6455, NonMinimalLengthEncodingIsAProtocolError) {
  for (LengthForm form : {LengthForm::force16, LengthForm::force64}) {
    start_and_connect();
    OutFrame frame = data_frame("short");
    frame.length_form = form;
    ASSERT_TRUE(ws_->send_frame(frame));
    EXPECT_TRUE(closes_with({1002})) << (form == LengthForm::force16 ? "16-bit" : "64-bit");
  }
}

TEST_P(Rfc6455, UnmaskedClientFrameIsRefusedWith1002) {
  start_and_connect();
  OutFrame frame = data_frame("not masked");
  frame.masked = false;
  ASSERT_TRUE(ws_->send_frame(frame));
  EXPECT_TRUE(closes_with({1002}));
}

TEST_P(Rfc6455, ReservedBitsWithoutAnExtensionAre1002) {
  for (std::uint8_t rsv = 1; rsv <= 7; ++rsv) {
    start_and_connect();
    OutFrame frame = data_frame("rsv");
    frame.rsv = rsv;
    ASSERT_TRUE(ws_->send_frame(frame));
    EXPECT_TRUE(closes_with({1002})) << "rsv bits " << int(rsv);
  }
}

TEST_P(Rfc6455, ReservedOpcodesAre1002) {
  server_ = start();
  for (std::uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    ws_ = RawWsConnection::upgraded(server_->port());
    ASSERT_TRUE(ws_->send_frame({.opcode = op, .payload = "x"}));
    EXPECT_TRUE(closes_with({1002})) << "opcode " << int(op);
  }
}

// ---- Control frames ---------------------------------------------------------

TEST_P(Rfc6455, PingIsAnsweredWithAPongCarryingTheSamePayload) {
  start_and_connect();
  for (const std::string& payload : {std::string(), std::string("hello"), std::string(125, 'p')}) {
    ASSERT_TRUE(ws_->send_frame({.opcode = opcode::ping, .payload = payload}));
    ReadResult read = ws_->read_frame(5s);
    ASSERT_EQ(read.end, ReadEnd::frame);
    EXPECT_EQ(read.frame.opcode, opcode::pong) << describe(read.frame);
    EXPECT_EQ(read.frame.payload, payload);
    EXPECT_FALSE(read.frame.masked);
  }
  EXPECT_TRUE(echoes("still open"));
}

TEST_P(Rfc6455, ControlFrameOver125BytesIs1002) {
  start_and_connect();
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::ping, .payload = std::string(126, 'p')}));
  EXPECT_TRUE(closes_with({1002}));
}

TEST_P(Rfc6455, FragmentedControlFrameIs1002) {
  start_and_connect();
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::ping, .payload = "half", .fin = false}));
  EXPECT_TRUE(closes_with({1002}));
}

// ---- Closing ----------------------------------------------------------------

TEST_P(Rfc6455, ValidCloseCodesAreEchoedOrAnsweredWith1000) {
  server_ = start();
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}) {
    ws_ = RawWsConnection::upgraded(server_->port());
    ASSERT_TRUE(
        ws_->send_frame({.opcode = opcode::close,
                         .payload = close_payload(static_cast<std::uint16_t>(code), "bye")}));
    EXPECT_TRUE(closes_with({code, 1000})) << "code " << code;
  }
  // A close without a payload carries no code; the answer may carry none either.
  ws_ = RawWsConnection::upgraded(server_->port());
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::close, .payload = ""}));
  EXPECT_TRUE(closes_with({-1, 1000})) << "empty close";
}

TEST_P(Rfc6455, InvalidCloseCodesAreAnsweredWith1002) {
  server_ = start();
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    ws_ = RawWsConnection::upgraded(server_->port());
    ASSERT_TRUE(ws_->send_frame(
        {.opcode = opcode::close, .payload = close_payload(static_cast<std::uint16_t>(code))}));
    EXPECT_TRUE(closes_with({1002})) << "code " << code;
  }
}

TEST_P(Rfc6455, CloseWithAOneBytePayloadIs1002) {
  start_and_connect();
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::close, .payload = std::string(1, '\x03')}));
  EXPECT_TRUE(closes_with({1002}));
}

TEST_P(Rfc6455, InvalidUtf8InACloseReasonIs1007Or1002) {
  // RFC 6455 section 8.1: invalid UTF-8 fails the connection; 7.4.1 names
  // 1007 for inconsistent data, 1002 for a protocol error; either is right.
  // (Beast sends 1002, measured with this server.)
  start_and_connect();
  ASSERT_TRUE(
      ws_->send_frame({.opcode = opcode::close, .payload = close_payload(1000, "\xc3\x28")}));
  EXPECT_TRUE(closes_with({1007, 1002}));
}

// ---- Fragmentation ------------------------------------------------------------

TEST_P(Rfc6455, MessageInSeveralFragmentsArrivesWhole) {
  start_and_connect();
  ASSERT_TRUE(ws_->send_frame(data_frame("one-", false)));
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = "two-", .fin = false}));
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = "three-", .fin = false}));
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = "four"}));
  EXPECT_EQ(ws_->read_data(18, 5s), "one-two-three-four");
}

TEST_P(Rfc6455, ContinuationWithoutAStartIs1002) {
  start_and_connect();
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = "orphan"}));
  EXPECT_TRUE(closes_with({1002}));
}

TEST_P(Rfc6455, NewDataFrameWhileAFragmentedMessageIsOpenIs1002) {
  start_and_connect();
  ASSERT_TRUE(ws_->send_frame(data_frame("begun", false)));
  ASSERT_TRUE(ws_->send_frame(data_frame("intruder")));
  EXPECT_TRUE(closes_with({1002}));
}

TEST_P(Rfc6455, PingBetweenFragmentsIsAnsweredAndTheMessageStaysWhole) {
  start_and_connect();
  ASSERT_TRUE(ws_->send_frame(data_frame("first half, ", false)));
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::ping, .payload = "between"}));
  ReadResult pong = ws_->read_frame(5s);
  ASSERT_EQ(pong.end, ReadEnd::frame);
  EXPECT_EQ(pong.frame.opcode, opcode::pong) << describe(pong.frame);
  EXPECT_EQ(pong.frame.payload, "between");
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = "second half"}));
  EXPECT_EQ(ws_->read_data(23, 5s), "first half, second half");
}

// ---- UTF-8 in text messages -----------------------------------------------------

TEST_P(Rfc6455, InvalidUtf8InATextMessageIs1007) {
  server_ = start();
  // Bytes never valid, a truncated sequence, an overlong NUL, a UTF-16
  // surrogate, and a code point past U+10FFFF.
  for (const char* invalid :
       {"bad \xff\xfe here", "cut \xe2\x82", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    ws_ = RawWsConnection::upgraded(server_->port());
    ASSERT_TRUE(ws_->send_frame({.opcode = opcode::text, .payload = invalid}));
    EXPECT_TRUE(closes_with({1007})) << testing::PrintToString(std::string(invalid));
  }
}

TEST_P(Rfc6455, ValidUtf8SplitInsideACharacterAcrossFragmentsIsAccepted) {
  start_and_connect();
  // U+20AC EURO SIGN is E2 82 AC; the first fragment ends after E2 82.
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::text, .payload = "price \xe2\x82", .fin = false}));
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = "\xac 5"}));
  if (GetParam().data_opcode == opcode::text) {
    EXPECT_EQ(ws_->read_data(10, 5s), "price \xe2\x82\xac 5");
  }
  // Binary mode drops text messages; the connection must still be open.
  EXPECT_TRUE(echoes("still open"));
}

TEST_P(Rfc6455, InvalidUtf8SplitAcrossFragmentsIs1007) {
  start_and_connect();
  // E2 82 must be followed by a continuation byte; '(' is not one.
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::text, .payload = "price \xe2\x82", .fin = false}));
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = "(5)"}));
  EXPECT_TRUE(closes_with({1007}));
}

// ---- The opening handshake --------------------------------------------------------

int upgrade_status(const ServerProcess& server, const UpgradeRequest& request,
                   std::string* head = nullptr) {
  RawWsConnection connection(server.port());
  std::string response = connection.request_upgrade(request, 5s);
  if (head) *head = response;
  return http_status_of(response);
}

TEST_P(Rfc6455, OnlyVersion13IsAcceptedOthersGet426NamingIt) {
  server_ = start();
  for (const char* version : {"8", "12", "14", "0"}) {
    std::string head;
    EXPECT_EQ(
        upgrade_status(*server_, UpgradeRequest{}.set("Sec-WebSocket-Version", version), &head),
        426)
        << head;
    EXPECT_EQ(http_header(head, "Sec-WebSocket-Version"), "13") << head;
  }
  EXPECT_EQ(upgrade_status(*server_, UpgradeRequest{}), 101);
}

TEST_P(Rfc6455, Http10UpgradeIsRefused) {
  server_ = start();
  UpgradeRequest request;
  request.version = "HTTP/1.0";
  std::string head;
  const int status = upgrade_status(*server_, request, &head);
  EXPECT_GE(status, 400) << head;
  EXPECT_LT(status, 500) << head;
}

TEST_P(Rfc6455, MissingKeyIs400) {
  server_ = start();
  std::string head;
  EXPECT_EQ(upgrade_status(*server_, UpgradeRequest{}.remove("Sec-WebSocket-Key"), &head), 400)
      << head;
}

TEST_P(Rfc6455, MissingHostIs400) {
  server_ = start();
  std::string head;
  EXPECT_EQ(upgrade_status(*server_, UpgradeRequest{}.remove("Host"), &head), 400) << head;
}

TEST_P(Rfc6455, UpgradeWithAnotherMethodThanGetIsRefused) {
  server_ = start();
  RawWsConnection connection(server_->port());
  std::string request = UpgradeRequest{}.serialize();
  request.replace(0, 3, "POST");
  ASSERT_TRUE(connection.send(request));
  const int status = http_status_of(connection.read_head(5s));
  EXPECT_GE(status, 400);
  EXPECT_LT(status, 500);
}

// RFC 6455 section 11.3.1: the key MUST NOT appear more than once; which one
// would the accept answer?
TEST_P(Rfc6455, DuplicateKeyIs400) {
  server_ = start();
  UpgradeRequest request;
  request.lines.push_back("Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEA==");
  std::string head;
  EXPECT_EQ(upgrade_status(*server_, request, &head), 400) << head;
}

// RFC 7230 section 5.4: a request with more than one Host MUST get 400 (the
// handshake must be a valid HTTP request, RFC 6455 section 4.2.1).
TEST_P(Rfc6455, DuplicateHostIs400) {
  server_ = start();
  UpgradeRequest request;
  request.lines.push_back("Host: elsewhere.example");
  std::string head;
  EXPECT_EQ(upgrade_status(*server_, request, &head), 400) << head;
}

TEST_P(Rfc6455, KeyThatIsNotBase64Of16BytesIs400) {
  server_ = start();
  // "tooshort" (8 bytes), 17 bytes, and text that is not base64 at all.
  for (const char* key : {"dG9vc2hvcnQ=", "MDEyMzQ1Njc4OWFiY2RlZmc=", "not base64 at all!!!!!=="}) {
    std::string head;
    EXPECT_EQ(upgrade_status(*server_, UpgradeRequest{}.set("Sec-WebSocket-Key", key), &head), 400)
        << "key " << key << ": " << head;
  }
}

TEST_P(Rfc6455, UpgradeAndConnectionTokensMatchInListsAndInAnyCase) {
  server_ = start();
  const std::vector<std::pair<std::string, std::string>> variants = {
      {"websocket", "keep-alive, Upgrade"},
      {"WebSocket", "Upgrade"},
      {"WEBSOCKET", "upgrade"},
      {"websocket", "UPGRADE, keep-alive"},
      {"websocket", "keep-alive,upgrade"},
  };
  for (const auto& [upgrade, connection] : variants) {
    std::string head;
    EXPECT_EQ(upgrade_status(*server_,
                             UpgradeRequest{}.set("Upgrade", upgrade).set("Connection", connection),
                             &head),
              101)
        << "Upgrade: " << upgrade << ", Connection: " << connection << ": " << head;
  }
}

// ---- Message size limit -------------------------------------------------------------

TEST_P(Rfc6455, MessageOverMaxframesizeIs1009) {
  start_and_connect({"--maxframesize=1000"});
  EXPECT_TRUE(echoes(std::string(1000, 'f')));
  ASSERT_TRUE(ws_->send_frame(data_frame(std::string(2000, 'o'))));
  EXPECT_TRUE(closes_with({1009}));
}

TEST_P(Rfc6455, FragmentsWhoseTotalIsOverMaxframesizeAre1009) {
  start_and_connect({"--maxframesize=1000"});
  ASSERT_TRUE(ws_->send_frame(data_frame(std::string(400, 'a'), false)));
  ASSERT_TRUE(ws_->send_frame(
      {.opcode = opcode::continuation, .payload = std::string(400, 'b'), .fin = false}));
  ASSERT_TRUE(ws_->send_frame({.opcode = opcode::continuation, .payload = std::string(400, 'c')}));
  EXPECT_TRUE(closes_with({1009}));
}

INSTANTIATE_TEST_SUITE_P(Modes, Rfc6455, testing::Values(kLineMode, kBinaryMode),
                         [](const testing::TestParamInfo<Mode>& info) { return info.param.name; });

}  // namespace
}  // namespace wsexec_test
