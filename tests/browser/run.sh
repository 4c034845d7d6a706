#!/bin/sh
# Runs a browser end-to-end test: sh tests/browser/run.sh /path/to/wsexec [TEST.mjs]
# (TEST.mjs in this folder, default staticdir_e2e.mjs).
# Installs playwright-core (pinned by package-lock.json, no browser download)
# on first use, then runs the test. Exit 77 (ctest SKIP) when Chromium, node
# or npm is missing, or when the npm install fails (e.g. no network).
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 /path/to/wsexec [TEST.mjs]" >&2; exit 2; }
binary=$1
script=${2:-staticdir_e2e.mjs}  # the test to run (shared_chat_e2e.mjs, terminal_e2e.mjs)
skip() { echo "[browser_e2e] SKIP: $*"; exit 77; }

chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || skip "no Chromium at $chromium (apt-get install chromium)"
command -v node >/dev/null 2>&1 || skip "node is not installed"

if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  command -v npm >/dev/null 2>&1 || skip "npm is not installed and $here/node_modules is missing"
  echo "[browser_e2e] installing playwright-core (npm ci, no browser download)"
  # A lock file in a shared source tree: keep concurrent runs apart.
  if ! (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts \
        --no-audit --no-fund --loglevel=error); then
    skip "npm ci failed in $here (no network?)"
  fi
fi

exec node "$here/$script" "$binary"
