#pragma once
// A configuration file (--config=FILE): the same options as the command line,
// one per line, plus the command. Pure: main() reads the file and passes its
// text here.
//
//   # comment (a line whose first character that is not blank is #)
//   port = 8080              every long option, by its name without dashes
//   header = X-Frame-Options: DENY
//   header = Cache-Control: no-store     repeatable options repeated
//   binary = true            a flag: = and one of Go's booleans,
//   sameorigin               or its name alone (true)
//   command = /usr/bin/printf "%s\n" "two words"   split like a shell does
//
// A value is everything after the first '=', without the blanks around it,
// taken as it is ('#' and quotes included); only the command is split into
// words (core/shell_words). Line ends may be \n or \r\n.
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/option_values.hpp"

namespace wsexec {

struct FileCommand {
  std::vector<std::string> words;  // the program, then its arguments; empty: none
  std::string origin;              // "FILE:LINE" of the command line
};

// Reads `text`, the contents of the configuration file `path`, and stores its
// options into `map`, which already holds the command line's. An option the
// command line gave keeps the command line's values: every one of the
// file's occurrences of it is replaced, for a repeatable option too (this is
// program_options' own rule: the first store of an option is final). Adds
// the "FILE:LINE" of each stored occurrence to `origins`, so a bad value is
// refused with its place. Throws ConfigError "FILE:LINE: ..." for a line
// that is not an option of `description` (exit status 2, like an unknown
// option on the command line) or not well formed (1).
FileCommand store_config_file(const std::string& path, std::string_view text,
                              const boost::program_options::options_description& description,
                              boost::program_options::variables_map& map, OptionOrigins& origins);

// The --config option of the command line (held by `map`): one path, whose
// text `read` returns, stored as above.
FileCommand store_config_option(const ConfigFileReader& read,
                                const boost::program_options::options_description& description,
                                boost::program_options::variables_map& map, OptionOrigins& origins);

}  // namespace wsexec
