#!/usr/bin/env python3
"""Issue 16, item 4: serial churn of several servers and the floor server, interleaved.

Each round runs every target once (in an order that puts every target in
every place equally often over 2 x N rounds of N targets: see round_order),
each server a fresh process (`--port= --address=127.0.0.1 --maxforks=0 ...
cat`), one `wsbench churn` against it. Per run it records the churn rate, its
phases (opening, first echo, closing; medians), the machine's busy cores
during the run (/proc/stat) and CPU per connection: the machine's and the
server's own threads' (/proc/PID/task/*/stat; spawn helpers and children not
included).

    bench/churn_ab.py --rounds 8 base=/tmp/wsexec-base after=build/wsexec floor \\
        websocketd=../shared/reference/websocketd-head
    bench/churn_ab.py --rounds 6 'exp=build/wsexec --binary SOME_ENV=1'

A target is LABEL=PATH [ARGS...] [NAME=VALUE...] (extra server options and
environment variables, space-separated), the word `floor`: wsbench's floor
server, which serves one connection at a time on a thread of the client's
own process, or `floor-process`: the same floor server code as a process of
its own (`wsbench floor-server`), which shows whether the floor's lead is
its sharing the client's process (it was not, on both machines measured).
Prints every run (churn is bimodal run to run on a 2-core machine: see
docs/performance.md, "Churn from inside the server"), then the medians,
churn / the floor server's median, and each target's runs paired with the
first target's of the same round: with round-to-round swings of 10-20 %,
how many rounds a change wins says more than a difference of medians.

`build-bench/bench/design-ladder` takes the same arguments: with its
switches as environment variables, each rung of it is a target of its own
(see bench/src/design_ladder.cpp).

Run it un-niced on a quiet machine; say what else ran.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine_ticks():
    """(all ticks, idle ticks) of the machine so far."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]


def thread_ticks(pid):
    """User + system ticks of every thread of `pid` (0 once it is gone)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except OSError:
        pass
    return total


def wait_for_port(port, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.02)
    return False


def parse_target(text):
    if text in ("floor", "floor-process"):
        return text, None, [], {}
    label, _, rest = text.partition("=")
    if not rest:
        sys.exit(f"churn_ab: {text!r}: give LABEL=PATH or floor")
    words = rest.split()
    env = dict(w.split("=", 1) for w in words[1:] if "=" in w and not w.startswith("-"))
    args = [w for w in words[1:] if not ("=" in w and not w.startswith("-"))]
    return label, words[0], args, env


def start_server(wsbench, target, port, seconds, script="churn_ab"):
    """Starts `target`'s server on `port` running `cat` (None for `floor`,
    which runs inside the churn client) and waits until it listens; a
    floor-process server lives `seconds` + 60 s. Exits the script if it
    never listens."""
    label, path, args, env = target
    if label == "floor":
        return None
    if label == "floor-process":
        command = [wsbench, "floor-server", "--port", str(port), "--seconds", str(seconds + 60),
                   "--command", "/bin/cat"]
    else:
        command = [path, f"--port={port}", "--address=127.0.0.1", "--maxforks=0", *args, "cat"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, **env})
    if not wait_for_port(port):
        server.kill()
        server.wait()
        sys.exit(f"{script}: {label} did not listen on {port}")
    return server


def stop_server(server):
    """SIGTERM, then SIGKILL if it has not gone within 10 s; None is no server."""
    if not server:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run_once(wsbench, target, seconds):
    label = target[0]
    port = free_port()
    server = start_server(wsbench, target, port, seconds)
    command = [wsbench, "churn", "--port", str(port), "--seconds", str(seconds)]
    if label == "floor":
        command.append("--floor")
    try:
        server_before = thread_ticks(server.pid) if server else 0
        all_before, idle_before = machine_ticks()
        started = time.monotonic()
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
        elapsed = time.monotonic() - started
        all_after, idle_after = machine_ticks()
        server_after = thread_ticks(server.pid) if server else 0
    finally:
        stop_server(server)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result.get("status") != "ok":
        sys.exit(f"churn_ab: {label}: {result}")
    connections = result["connections"]
    busy = ((all_after - all_before) - (idle_after - idle_before)) / TICKS
    return {
        "conns_per_s": result["conns_per_s"],
        "open_ms": result["open_ms_p50"],
        "echo_ms": result["echo_ms_p50"],
        "close_ms": result["close_ms_p50"],
        "busy_cores": busy / elapsed,
        "cpu_ms_per_conn": busy / connections * 1e3,
        "server_cpu_ms_per_conn": (server_after - server_before) / TICKS / connections * 1e3,
    }


def round_order(targets, round_number):
    """The order of a round: the targets' order rotated by one place each
    round, then the same rotations reversed, so that over 2 x N rounds every
    one of N targets runs in every place, and before and after every other,
    equally often. Reversing every other round was not enough: with three
    targets the middle one never ran right after itself, and in an A/A (one
    binary under two labels) that place won 1-3 % (docs/performance.md,
    "Churn, an eleventh look")."""
    count = len(targets)
    shift = round_number % count
    order = targets[shift:] + targets[:shift]
    return list(reversed(order)) if (round_number // count) % 2 else order


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--wsbench", default=os.path.join(HERE, "..", "build-bench", "bench",
                                                          "wsbench"))
    options = parser.parse_args()
    targets = [parse_target(t) for t in options.targets]
    runs = {t[0]: [] for t in targets}
    for round_number in range(options.rounds):
        order = round_order(targets, round_number)
        for target in order:
            run = run_once(options.wsbench, target, options.seconds)
            runs[target[0]].append(run)
            print(f"round {round_number + 1} {target[0]:>12}: {run['conns_per_s']:7.0f} conn/s, "
                  f"opening {run['open_ms']:.3f} ms, echo {run['echo_ms']:.3f} ms, "
                  f"closing {run['close_ms']:.3f} ms", flush=True)
            time.sleep(0.3)
    fields = ["conns_per_s", "open_ms", "echo_ms", "close_ms", "busy_cores", "cpu_ms_per_conn",
              "server_cpu_ms_per_conn"]
    medians = {label: {f: statistics.median(r[f] for r in rows) for f in fields}
               for label, rows in runs.items()}
    floor = medians.get("floor", {}).get("conns_per_s")
    print(f"\nmedians of {options.rounds} ({options.seconds} s each):")
    print(f"{'target':>12} {'conn/s':>7} {'/floor':>6} {'opening':>8} {'echo':>6} {'closing':>8} "
          f"{'cores':>5} {'CPU/conn':>8} {'server':>7}")
    for label, m in medians.items():
        ratio = f"{m['conns_per_s'] / floor:6.3f}" if floor else "     -"
        print(f"{label:>12} {m['conns_per_s']:7.0f} {ratio} {m['open_ms']:8.3f} {m['echo_ms']:6.3f} "
              f"{m['close_ms']:8.3f} {m['busy_cores']:5.2f} {m['cpu_ms_per_conn']:8.3f} "
              f"{m['server_cpu_ms_per_conn']:7.3f}")
    first = targets[0][0]
    print(f"\neach round against {first} in the same round (churn / {first}'s):")
    for label, rows in runs.items():
        if label == first:
            continue
        ratios = [row["conns_per_s"] / base["conns_per_s"] for row, base in zip(rows, runs[first])]
        wins = sum(1 for r in ratios if r > 1)
        print(f"{label:>12} median {statistics.median(ratios):.3f}, faster in {wins} of "
              f"{len(ratios)}: " + " ".join(f"{r:.2f}" for r in ratios))


if __name__ == "__main__":
    main()
