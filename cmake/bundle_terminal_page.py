#!/usr/bin/env python3
"""Builds the --pty --devconsole page: one self-contained HTML file.

Debian ships xterm.js 3.x only as CommonJS modules (node-xterm's lib/, plus
libjs-xterm's addons), which a browser cannot load as they are. This script
wraps each module in a function inside one <script>, behind a small
`require` that resolves relative paths the way Node does for these files,
and pastes that script and xterm.css into the page template. Everything is
inline so the page works offline and under the dev console's
Content-Security-Policy (no other origin, no second request).

  bundle_terminal_page.py --template terminal.html --css xterm.css
      --lib /usr/share/nodejs/xterm/lib --addon addons/fit/fit=fit.js
      --output page.html
"""
import argparse
import json
import pathlib
import re
import sys

# The markers the template leaves for us; each must appear exactly once.
CSS_MARKER = "/*@XTERM_CSS@*/"
SCRIPT_MARKER = "/*@XTERM_BUNDLE@*/"

# Source map comments would make the browser's tools fetch files that the
# server does not have.
SOURCE_MAP_LINE = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)

# Only relative requires can be resolved inside the bundle; anything else
# would be a dependency we do not ship, so the build stops on it.
REQUIRE_CALL = re.compile(r"""\brequire\(\s*["']([^"']+)["']\s*\)""")

LOADER = """
var xtermRequire = (function () {
  'use strict';
  var factories = Object.create(null);
  var cache = Object.create(null);
  function resolve(from, request) {
    var parts = request.charAt(0) === '.' ? from.split('/').slice(0, -1) : [];
    request.split('/').forEach(function (part) {
      if (part === '..') parts.pop();
      else if (part !== '.' && part !== '') parts.push(part);
    });
    return parts.join('/');
  }
  function load(id) {
    if (!(id in factories)) throw new Error('xterm bundle has no module ' + id);
    if (!(id in cache)) {
      var module = { exports: {} };
      cache[id] = module;
      factories[id].call(module.exports, module, module.exports, function (request) {
        return load(resolve(id, request));
      });
    }
    return cache[id].exports;
  }
  load.define = function (id, factory) { factories[id] = factory; };
  return load;
})();
"""


def module_source(module_id, path):
    text = SOURCE_MAP_LINE.sub("", path.read_text(encoding="utf-8"))
    for request in REQUIRE_CALL.findall(text):
        if not request.startswith("."):
            sys.exit(f"{path}: requires '{request}', which is not part of the bundle")
    return (f"xtermRequire.define({json.dumps(module_id)}, "
            f"function (module, exports, require) {{\n{text}\n}});\n")


def collect_modules(lib_dir, addons):
    modules = []
    for path in sorted(lib_dir.rglob("*.js")):
        if path.name.endswith(".test.js"):
            continue  # xterm's own unit tests, not part of the library
        module_id = path.relative_to(lib_dir).with_suffix("").as_posix()
        modules.append(module_source(module_id, path))
    for module_id, path in addons:
        modules.append(module_source(module_id, path))
    return modules


def inline_safe(text, what):
    # Inside <script> or <style>, these sequences would end the element (or
    # change how the HTML parser reads it) before the code ends.
    for sequence in ("</script", "</style", "<!--"):
        if sequence in text.lower():
            sys.exit(f"{what} contains '{sequence}', which cannot be inlined in HTML")
    return text


def replace_once(page, marker, content):
    if page.count(marker) != 1:
        sys.exit(f"the template must contain {marker} exactly once")
    return page.replace(marker, content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", required=True, type=pathlib.Path)
    parser.add_argument("--css", required=True, type=pathlib.Path)
    parser.add_argument("--lib", required=True, type=pathlib.Path)
    parser.add_argument("--addon", action="append", default=[], metavar="ID=FILE")
    parser.add_argument("--output", required=True, type=pathlib.Path)
    args = parser.parse_args()

    addons = []
    for spec in args.addon:
        module_id, _, file_name = spec.partition("=")
        addons.append((module_id, pathlib.Path(file_name)))
    if not (args.lib / "xterm.js").is_file():
        sys.exit(f"{args.lib}/xterm.js not found (install Debian's node-xterm)")

    bundle = LOADER + "".join(collect_modules(args.lib, addons))
    page = args.template.read_text(encoding="utf-8")
    page = replace_once(page, CSS_MARKER, inline_safe(args.css.read_text(encoding="utf-8"), "xterm.css"))
    page = replace_once(page, SCRIPT_MARKER, inline_safe(bundle, "the xterm bundle"))

    # Written only when it changes, so an unchanged page rebuilds nothing.
    if not args.output.exists() or args.output.read_text(encoding="utf-8") != page:
        args.output.write_text(page, encoding="utf-8")


if __name__ == "__main__":
    main()
