#include "core/dir_router.hpp"

#include "core/url_path.hpp"

namespace wsexec {
namespace {

RouteResult outcome(RouteResult::Outcome value) {
  RouteResult result;
  result.outcome = value;
  return result;
}

}  // namespace

RouteResult route_to_script(std::string_view raw_path, const EntryLookup& lookup) {
  using Outcome = RouteResult::Outcome;
  if (raw_path.empty() || raw_path.front() != '/') return outcome(Outcome::forbidden);
  const auto decoded = decode_url_path(raw_path);
  // Every segment is checked before anything is looked up, so a ".." after
  // the script ("/a.sh/../../etc") is refused too rather than handed over as
  // PATH_INFO.
  if (!decoded || !path_segments(*decoded)) return outcome(Outcome::forbidden);

  const std::string& path = *decoded;
  std::string relative;
  std::size_t position = 0;
  while (position < path.size()) {
    if (path[position] == '/') {
      ++position;
      continue;
    }
    auto end = path.find('/', position);
    if (end == std::string::npos) end = path.size();
    const std::string_view segment(path.data() + position, end - position);
    position = end;
    if (segment == ".") continue;
    if (!relative.empty()) relative += '/';
    relative += segment;
    switch (lookup(relative)) {
      case EntryKind::directory:
        continue;
      case EntryKind::executable_file: {
        RouteResult result = outcome(Outcome::script);
        result.route.script_name = "/" + relative;
        result.route.relative_path = std::move(relative);
        result.route.path_info = path.substr(end);
        return result;
      }
      case EntryKind::escapes_root:
        return outcome(Outcome::forbidden);
      case EntryKind::missing:
      case EntryKind::regular_file:
      case EntryKind::other:
        return outcome(Outcome::not_found);
    }
    return outcome(Outcome::not_found);  // an EntryKind out of range
  }
  return outcome(Outcome::not_found);  // the walk ended at a directory
}

}  // namespace wsexec
