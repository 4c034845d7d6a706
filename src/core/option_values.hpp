#pragma once
// The values of options: how program_options keeps them (every occurrence,
// as text), and the shapes they may take (numbers, Go's booleans, addresses,
// header fields, comma lists). Each parser checks one value and says what is
// wrong with it in a sentence naming the option (a ConfigError, exit 1), so
// the command line and a configuration file are refused in the same words.
#include <boost/program_options/value_semantic.hpp>
#include <boost/program_options/variables_map.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace wsexec {

// "A, B,,C" -> {"A", "B", "C"}: items trimmed, empty ones dropped.
std::vector<std::string> split_list(std::string_view list);

// A whole decimal number in [min, max]; no sign, no spaces, no exponent.
unsigned long long parse_number(std::string_view option, const std::string& text,
                                unsigned long long max, unsigned long long min = 0);

// The spellings Go's strconv.ParseBool accepts (websocketd's flags).
bool parse_bool(std::string_view option, const std::string& text);

// An --address: an IPv4 address or host name as given, or an IPv6 address in
// brackets, returned without them.
std::string parse_address(const std::string& text);

// A token of HTTP (RFC 9110 5.6.2): header names, subprotocol names.
bool is_header_token(std::string_view name);

// "Name: value", the name a header token, the value on one line.
HeaderField parse_header(std::string_view option, const std::string& text);

// A boolean option: bare it means true, "=VALUE" is one of Go's spellings
// of true and false. Program_options' bool_switch takes no value, and an
// implicit value would replace every earlier occurrence, hiding a bad one;
// this keeps each occurrence, as text, like a value option.
class FlagValue final : public boost::program_options::value_semantic {
 public:
  std::string name() const override { return ""; }
  unsigned min_tokens() const override { return 0; }
  unsigned max_tokens() const override { return 1; }
  bool is_composing() const override { return false; }
  bool is_required() const override { return false; }
  void parse(boost::any& store, const std::vector<std::string>& tokens, bool) const override;
  bool apply_default(boost::any&) const override { return false; }
  void notify(const boost::any&) const override {}
};

// Where the occurrences of options read from a configuration file came
// from: option name -> "FILE:LINE" of each occurrence, in order. An option
// not listed here came from the command line.
using OptionOrigins = std::map<std::string, std::vector<std::string>, std::less<>>;

// The options program_options stored (each a vector of its occurrences, as
// text), read the way Config needs them. A bad value read from a
// configuration file is refused with its file and line in front of the
// sentence ("/etc/wsexec/chat.conf:7: --port needs ...").
class StoredOptions {
 public:
  explicit StoredOptions(const boost::program_options::variables_map& map,
                         const OptionOrigins* origins = nullptr)
      : map_(map), origins_(origins) {}

  bool given(std::string_view name) const { return map_.count(std::string(name)) > 0; }

  // Every occurrence, in order (repeatable options).
  std::vector<std::string> all(std::string_view name) const;

  // The last occurrence: a repeated single-valued option is not an error,
  // the last one wins, as with websocketd. Every occurrence is still
  // checked by `parse`, so a bad earlier value is refused like a bad last one.
  template <typename Parse>
  auto last(std::string_view name, Parse parse) const {
    const auto values = all(name);
    auto result = parse_one(name, values, 0, parse);
    for (std::size_t i = 1; i < values.size(); ++i) result = parse_one(name, values, i, parse);
    return result;
  }
  // Every occurrence, each parsed (repeatable options).
  template <typename Parse>
  auto each(std::string_view name, Parse parse) const {
    const auto values = all(name);
    std::vector<decltype(parse(values.front()))> results;
    for (std::size_t i = 0; i < values.size(); ++i) {
      results.push_back(parse_one(name, values, i, parse));
    }
    return results;
  }
  std::string last(std::string_view name) const { return all(name).back(); }

  // False when absent; every occurrence checked.
  bool flag(std::string_view name) const;

  // The last value of a numeric option, every occurrence checked.
  unsigned long long number(std::string_view name, unsigned long long max,
                            unsigned long long min = 0) const;

 private:
  template <typename Parse>
  auto parse_one(std::string_view name, const std::vector<std::string>& values, std::size_t index,
                 Parse& parse) const {
    try {
      return parse(values[index]);
    } catch (const ConfigError& error) {
      throw located(name, index, error);
    }
  }
  // The error with the file and line of that occurrence in front, when it
  // came from a configuration file; else the error as it is.
  ConfigError located(std::string_view name, std::size_t index, const ConfigError& error) const;

  const boost::program_options::variables_map& map_;
  const OptionOrigins* origins_;
};

}  // namespace wsexec
