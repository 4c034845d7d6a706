#pragma once
// A line of text -> words, quoted the way a POSIX shell quotes them, so a
// configuration file can write a command whose arguments hold spaces:
//   command = /usr/bin/printf "%s: %s\n" "it's me" 'say "hi"'
// Nothing is expanded: $VAR, ~, *, ; and | are ordinary characters (wrap the
// command in sh -c '...' for those).
#include <string>
#include <string_view>
#include <vector>

namespace wsexec {

// Words are separated by unquoted spaces and tabs. '...' keeps everything up
// to the next ' as it is; "..." too, except that a backslash there escapes
// only " \ $ and ` (as in the shell); outside quotes a backslash makes the
// next character ordinary. Quoted and unquoted pieces next to each other
// form one word, and '' or "" is an empty word. Throws std::invalid_argument,
// with a phrase saying what is wrong, for a quote left open or a trailing
// backslash.
//
// Why not program_options' split_unix: it lets a ' close a "-quoted piece
// (sh -c "echo it's" loses the quote), drops empty words ('') and accepts an
// unterminated quote silently.
std::vector<std::string> split_shell_words(std::string_view text);

}  // namespace wsexec
