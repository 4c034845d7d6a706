#!/usr/bin/env python3
"""Tests cmake/bundle_terminal_page.py on small made-up module trees.

  python3 tests/bundle_terminal_page_test.py /path/to/bundle_terminal_page.py

The real xterm bundle is checked in a browser (tests/browser/terminal_e2e.mjs);
these check the bundler's own promises: relative requires resolve as in
Node (run in node when it is installed), and what it cannot bundle or
inline stops the build with a message naming it.
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

BUNDLER = None  # set from the command line

TEMPLATE = "<style>/*@XTERM_CSS@*/</style><script>\n/*@XTERM_BUNDLE@*/\n</script>"


class BundlerTest(unittest.TestCase):
    def setUp(self):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="bundle-test-"))
        self.lib = self.dir / "lib"
        self.write("css", ".xterm { color: red; }")
        self.write("template.html", TEMPLATE)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        path = self.dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def module(self, name, text):
        return self.write(f"lib/{name}", text)

    def bundle(self, extra=()):
        return subprocess.run(
            [sys.executable, BUNDLER, "--template", str(self.dir / "template.html"),
             "--css", str(self.dir / "css"), "--lib", str(self.lib),
             "--output", str(self.dir / "page.html"), *extra],
            capture_output=True, text=True, check=False)

    def test_relative_requires_resolve_and_tests_and_source_maps_are_left_out(self):
        self.module("xterm.js", 'module.exports = require("./public/Terminal").answer;\n'
                    "//# sourceMappingURL=xterm.js.map\n")
        self.module("public/Terminal.js", 'exports.answer = require("../common/six").six * 7;\n')
        self.module("common/six.js", "exports.six = 6;\n")
        self.module("common/six.test.js", 'require("mocha");\n')
        self.write("fit.js", 'exports.fits = require("../../xterm") === 42;\n')
        result = self.bundle(["--addon", f"addons/fit/fit={self.dir / 'fit.js'}"])
        self.assertEqual(result.returncode, 0, result.stderr)
        page = (self.dir / "page.html").read_text(encoding="utf-8")
        self.assertIn(".xterm { color: red; }", page)
        self.assertNotIn("sourceMappingURL", page)
        self.assertNotIn("mocha", page)
        if shutil.which("node") is None:
            self.skipTest("node is not installed: the bundle was not run")
        script = page.split("<script>\n", 1)[1].rsplit("\n</script>", 1)[0]
        program = script + "\nconsole.log(xtermRequire('xterm'), xtermRequire('addons/fit/fit').fits);\n"
        run = subprocess.run(["node", "-e", program], capture_output=True, text=True, check=False)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), "42 true")

    def test_a_require_outside_the_bundle_stops_the_build_naming_it(self):
        self.module("xterm.js", 'var fs = require("fs");\n')
        result = self.bundle()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("'fs'", result.stderr)
        self.assertFalse((self.dir / "page.html").exists())

    def test_code_that_would_end_the_inline_script_stops_the_build(self):
        self.module("xterm.js", 'var s = "</script><script>alert(1)";\n')
        result = self.bundle()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("</script", result.stderr)

    def test_a_missing_library_or_marker_is_named(self):
        result = self.bundle()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("node-xterm", result.stderr)
        self.module("xterm.js", "exports.x = 1;\n")
        self.write("template.html", "<script>/*@XTERM_BUNDLE@*/</script>")
        result = self.bundle()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("@XTERM_CSS@", result.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: bundle_terminal_page_test.py /path/to/bundle_terminal_page.py")
    BUNDLER = sys.argv.pop(1)
    unittest.main(verbosity=2)
