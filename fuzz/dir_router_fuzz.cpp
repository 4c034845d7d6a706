// --dir routing against an in-memory tree: the lookup is only ever asked
// about clean relative paths, and a script found lies under the root.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/dir_router.hpp"
#include "core/url_path.hpp"
#include "fake_tree.hpp"
#include "fuzz_check.hpp"
#include "tree_contract.hpp"

using namespace wsexec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view raw_path(reinterpret_cast<const char*>(data), size);
  FakeTree tree = fuzz_tree();
  const RouteResult result = route_to_script(raw_path, tree.lookup());

  for (const std::string& asked : tree.asked()) check_lookup_contract(asked);
  if (result.outcome == RouteResult::Outcome::script) {
    const ScriptRoute& route = result.route;
    check_lookup_contract(route.relative_path);
    FUZZ_CHECK(!route.relative_path.empty());
    FUZZ_CHECK(route.script_name == "/" + route.relative_path);
    FUZZ_CHECK(route.path_info.empty() || route.path_info.starts_with("/"));
    FUZZ_CHECK(tree.lookup()(route.relative_path) == EntryKind::executable_file);
    // PATH_INFO never smuggles a way up: its segments are as clean as the path's.
    FUZZ_CHECK(path_segments(route.path_info).has_value());
  }
  return 0;
}
