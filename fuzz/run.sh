#!/bin/sh
# Runs every libFuzzer target of a fuzz build for a fixed time each.
#
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
#
# BUILD_DIR is a build configured with -DWSEXEC_FUZZ=ON (see fuzz/README.md);
# TARGET names (line_framing, utf8, ...) pick some targets, default all.
# Each target starts from a copy of its seed corpus in fuzz/corpus, so what
# it discovers goes to a temporary directory, never into the repository.
# Prints per target the time it ran, its executions and its coverage (cov:
# and ft: of libFuzzer's last stats line); exits 1 if any target crashed,
# keeping the crashing input and the log at the printed paths.
set -u

usage() {
  echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
build_dir=$1
seconds=$2
shift 2
case $seconds in '' | *[!0-9]*) usage ;; esac

source_dir=$(cd "$(dirname "$0")" && pwd)
targets_dir=$build_dir/fuzz
if [ $# -eq 0 ]; then
  set --
  for executable in "$targets_dir"/fuzz_*; do
    [ -x "$executable" ] && set -- "$@" "${executable##*/fuzz_}"
  done
fi
if [ $# -eq 0 ]; then
  echo "$0: no fuzz_* executables in $targets_dir (build with -DWSEXEC_FUZZ=ON)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/wsexec-fuzz.XXXXXX")
crashed=0
printf '%-16s %8s %12s %8s %8s  %s\n' target seconds executions cov ft result
for target in "$@"; do
  executable=$targets_dir/fuzz_$target
  if [ ! -x "$executable" ]; then
    echo "$0: no target $executable" >&2
    crashed=1
    continue
  fi
  corpus=$work/$target/corpus
  mkdir -p "$corpus"
  [ -d "$source_dir/corpus/$target" ] && cp "$source_dir/corpus/$target"/* "$corpus"/ 2>/dev/null
  log=$work/$target/log
  started=$(date +%s)
  "$executable" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$work/$target/" "$corpus" >"$log" 2>&1
  status=$?
  elapsed=$(($(date +%s) - started))

  # The last "#N ... cov: C ft: F" line: DONE when the time ran out, the last
  # progress line before a crash.
  stats=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  cov=$(echo "$stats" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$stats" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  [ -n "$executions" ] || executions=$(echo "$stats" | sed -n 's/^#\([0-9]*\).*/\1/p')

  if [ "$status" -eq 0 ]; then
    result=ok
  else
    crashed=1
    artifact=
    for written in "$work/$target"/crash-* "$work/$target"/leak-* "$work/$target"/timeout-* \
      "$work/$target"/oom-*; do
      [ -e "$written" ] && artifact=$written && break
    done
    result="CRASH (exit $status): input ${artifact:-none written}, log $log"
  fi
  printf '%-16s %8s %12s %8s %8s  %s\n' "$target" "$elapsed" "${executions:-?}" "${cov:-?}" \
    "${ft:-?}" "$result"
done

if [ "$crashed" -eq 0 ]; then
  rm -rf "$work"
else
  # On a CI machine the kept files are gone with the machine: print what
  # each crash said (the sanitizer's or FUZZ_CHECK's report, the input in
  # base64) so the run's output alone is enough to reproduce it.
  for log in "$work"/*/log; do
    grep -qE '^(==[0-9]+==ERROR|SUMMARY|MS: |Base64: )|runtime error|FUZZ_CHECK' "$log" || continue
    echo "--- ${log%/log}: the end of its log" >&2
    grep -vE '^#[0-9]+' "$log" | tail -n 40 >&2
  done
  echo "kept for inspection: $work" >&2
fi
exit "$crashed"
