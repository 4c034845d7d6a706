// --staticdir resolution against an in-memory tree: the lookup is only ever
// asked about clean relative paths, a file served is one, and a redirect
// stays on this site and cannot split the response header.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/static_resolver.hpp"
#include "fake_tree.hpp"
#include "fuzz_check.hpp"
#include "tree_contract.hpp"

using namespace wsexec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider provider(data, size);
  const std::string query = provider.ConsumeRandomLengthString(64);
  const std::string raw_path = provider.ConsumeRemainingBytesAsString();
  FakeTree tree = fuzz_tree();
  const StaticResult result = resolve_static(raw_path, query, tree.lookup());

  for (const std::string& asked : tree.asked()) check_lookup_contract(asked);
  switch (result.outcome) {
    case StaticResult::Outcome::file: {
      check_lookup_contract(result.relative_path);
      FUZZ_CHECK(!result.relative_path.empty());
      const EntryKind kind = tree.lookup()(result.relative_path);
      FUZZ_CHECK(kind == EntryKind::regular_file || kind == EntryKind::executable_file);
      break;
    }
    case StaticResult::Outcome::redirect:
      FUZZ_CHECK(result.location.starts_with("/"));
      FUZZ_CHECK(!result.location.starts_with("//"));
      for (const char c : result.location) {
        FUZZ_CHECK(static_cast<unsigned char>(c) > ' ' && c != 0x7f);
      }
      break;
    case StaticResult::Outcome::not_found:
    case StaticResult::Outcome::forbidden:
      break;
  }
  return 0;
}
