#!/usr/bin/env bash
# Profile one server while one wsbench scenario runs against it.
#
#   bench/profile.sh TOOL SCENARIO [wsbench options...]
#
# TOOL:
#   stat       perf stat on the server: CPU time, context switches (the
#              bench's JSON says how many messages/connections that was)
#   perf       perf record -g on the server, then the top of perf report
#   syscalls   perf trace -s on the server: every system call, counted
#   heaptrack  the server runs under heaptrack; heaptrack_print's summary
#              and the biggest allocation sites still live at the peak
# SCENARIO: a wsbench scenario (latency, throughput, binary, churn, storm,
# hold, slow); its options follow. The server is wsexec ($WSEXEC, default
# build-bench/wsexec/wsexec) or, with SERVER=websocketd, websocketd.
# Output files go to $OUT (default /tmp/wsexec-profile).
#
# Examples:
#   bench/profile.sh stat throughput --conns 1 --seconds 3
#   bench/profile.sh syscalls latency --count 2000
#   bench/profile.sh heaptrack hold --conns 1000 --seconds 2
#   SERVER=websocketd bench/profile.sh perf churn --seconds 3
set -euo pipefail
cd "$(dirname "$0")/.."

tool="${1:?usage: bench/profile.sh TOOL SCENARIO [wsbench options]}"
scenario="${2:?usage: bench/profile.sh TOOL SCENARIO [wsbench options]}"
shift 2
server_kind="${SERVER:-wsexec}"
wsexec="${WSEXEC:-build-bench/wsexec/wsexec}"
build="${BENCH_BUILD:-build-bench/bench}"
out="${OUT:-/tmp/wsexec-profile}"
# A port in 18700-18799 that nothing listens on (or $PORT).
port="${PORT:-}"
if [ -z "$port" ]; then
  for candidate in $(seq 18700 18799); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/"$candidate") 2>/dev/null; then
      port=$candidate
      break
    fi
  done
fi
mkdir -p "$out"

cmake -S bench -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target wsbench wsbench-slowcat >/dev/null
wsbench="$build/wsbench"

case "$server_kind" in
  wsexec) server=("$wsexec" --maxforks=0) ;;
  websocketd) server=("${WEBSOCKETD:-websocketd}") ;;
  *) echo "SERVER must be wsexec or websocketd" >&2; exit 2 ;;
esac
server+=(--port="$port" --address=127.0.0.1)
[ "$scenario" = binary ] && server+=(--binary)
if [ "$scenario" = slow ]; then
  server+=("$build/wsbench-slowcat" --chunk 4096 --delay-us 1000)
else
  server+=(cat)
fi

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# The server's own PID (under heaptrack it is the launcher's child).
launch_pid=
if [ "$tool" = heaptrack ]; then
  heaptrack -o "$out/heaptrack.$server_kind" "${server[@]}" >"$out/server.log" 2>&1 &
  launch_pid=$!
  pids+=("$launch_pid")
  # heaptrack's script starts the server as one of its children (beside
  # heaptrack_interpret and zstd): the one running the server's binary.
  target_exe=$(readlink -f "$(command -v "${server[0]}")")
  server_pid=
  for _ in $(seq 200); do
    for child in $(cat /proc/"$launch_pid"/task/*/children 2>/dev/null); do
      if [ "$(readlink -f /proc/"$child"/exe 2>/dev/null)" = "$target_exe" ]; then
        server_pid=$child
      fi
    done
    [ -n "$server_pid" ] && break
    sleep 0.05
  done
else
  "${server[@]}" >/dev/null 2>"$out/server.log" &
  server_pid=$!
  pids+=("$server_pid")
fi
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
  sleep 0.05
done

"$wsbench" "$scenario" --port "$port" --server-pid "$server_pid" "$@" >"$out/result.json" &
bench_pid=$!
pids+=("$bench_pid")
sleep 0.7  # past the connect and the warm-up

case "$tool" in
  stat)
    perf stat -e task-clock,context-switches,cpu-migrations,page-faults -p "$server_pid" \
      -- sleep 2 2>&1 | grep -E "task-clock|switches|migrations|faults|elapsed"
    ;;
  perf)
    perf record -g -o "$out/perf.data" -p "$server_pid" -- sleep 2 >/dev/null 2>&1
    perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
      | grep -E "^ +[0-9]" | head -40
    ;;
  syscalls)
    perf trace -s -p "$server_pid" -- sleep 2 2>&1 | grep -vE "^$" | head -60
    ;;
  heaptrack) ;;
  *) echo "unknown tool $tool" >&2; exit 2 ;;
esac
wait "$bench_pid" || true
echo "result: $(cat "$out/result.json")"

if [ "$tool" = heaptrack ]; then
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$launch_pid" 2>/dev/null || true
  file=$(ls -t "$out"/heaptrack."$server_kind".* | head -1)
  heaptrack_print -f "$file" --print-peaks 1 --print-allocators 0 --print-temporary 0 \
    --print-leaks 0 --peak-limit 25 2>/dev/null | head -150
fi
