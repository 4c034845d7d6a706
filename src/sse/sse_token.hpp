#pragma once
// Session tokens: the only secret between an SSE client and its session
// (whoever holds one can POST to the program and resume its stream).
#include <string>
#include <string_view>

namespace wsexec {

// 128 bits from getrandom(2), as 32 lowercase hex digits. Throws
// std::system_error if the kernel has no randomness to give (never after
// boot): a guessable token must not be made instead.
std::string new_session_token();

// What the log shows of a token: its first 8 digits, enough to follow a
// session, far from enough to use it.
std::string token_for_log(std::string_view token);

}  // namespace wsexec
