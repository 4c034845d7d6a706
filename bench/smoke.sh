#!/usr/bin/env bash
# A few-second run of every bench scenario against wsexec alone, so the
# bench cannot rot. Exits non-zero if the bench fails to build or run, or if
# any scenario stalls or fails. Not a measurement: nothing is compared.
#
#   bench/smoke.sh [WSEXEC_BINARY]     (default: build/wsexec, else $WSEXEC)
set -euo pipefail
cd "$(dirname "$0")/.."

wsexec="${1:-${WSEXEC:-build/wsexec}}"
if [ ! -x "$wsexec" ]; then
  echo "smoke: no wsexec binary at $wsexec (build it first, or pass its path)" >&2
  exit 1
fi
build="${BENCH_BUILD:-build-bench/bench}"
cmake -S bench -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target wsbench wsbench-slowcat >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
start=$(date +%s)
# The script ends every server and child it starts; timeout is a last resort.
timeout --kill-after=10 120 python3 bench/side_by_side.py --smoke --wsexec "$wsexec" \
  --bench-build "$build" --out "$out" >/dev/null
echo "smoke: bench ran in $(( $(date +%s) - start )) s"
# A short soak (bench/soak.py; the real one is 100,000 cycles): everything
# the server takes for 2,000 connections and 600 mixed requests comes back.
start=$(date +%s)
timeout --kill-after=10 120 bench/soak.py --wsexec "$wsexec" --cycles 2000 --mix 600 \
  --warmup 300 >/dev/null
echo "smoke: soak ran in $(( $(date +%s) - start )) s"
