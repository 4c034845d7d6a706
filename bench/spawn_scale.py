#!/usr/bin/env python3
"""Issue 16, items 3 and 4: does a connection cost more when the server is big?

For each server binary given (interleaved, --runs times), on 127.0.0.1:
  churn alone; a storm of --storm connections at once;
  then --idle connections opened and held (wsbench hold), and the same
  churn and storm again alongside them;
and the floor server's churn (the least a spawning server does) once per run.
Prints every run and the medians, and the ratios "with idle / alone".

    bench/spawn_scale.py --server after=build/wsexec --server before=/tmp/wsexec-direct \
        --runs 3 [--idle 1000] [--storm 200] [--wsbench build-bench/bench/wsbench]

Run it un-niced; say in the figures what else the machine was doing.
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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def wait_listening(port, deadline=10.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def wsbench(args, exe, timeout=120):
    out = subprocess.run([exe] + args, capture_output=True, text=True, timeout=timeout)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError(f"wsbench {args}: no result: {out.stderr[-500:]}")
    result = json.loads(lines[-1])
    if result.get("status") != "ok":
        raise RuntimeError(f"wsbench {args}: {result}")
    return result


def measure(binary, opts):
    port = free_port()
    server = subprocess.Popen([binary, f"--port={port}", "--address=127.0.0.1", "--maxforks=0",
                               "cat"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hold = None
    try:
        if not wait_listening(port):
            raise RuntimeError(f"{binary} did not listen")
        time.sleep(0.3)
        common = ["--port", str(port)]
        row = {}
        row["churn_alone"] = wsbench(["churn", "--seconds", str(opts.seconds)] + common,
                                     opts.wsbench)["conns_per_s"]
        row["storm_alone_ms"] = wsbench(["storm", "--conns", str(opts.storm)] + common,
                                        opts.wsbench)["ms_all_echoed"]
        time.sleep(0.5)
        hold = subprocess.Popen([opts.wsbench, "hold", "--conns", str(opts.idle), "--seconds",
                                 "600", "--server-pid", str(server.pid)] + common,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 60
        while fd_count(server.pid) < opts.idle * 5 and time.time() < end:
            time.sleep(0.2)
        row["fds_held"] = fd_count(server.pid)
        time.sleep(1.0)
        row["churn_with_idle"] = wsbench(["churn", "--seconds", str(opts.seconds)] + common,
                                         opts.wsbench)["conns_per_s"]
        row["storm_with_idle_ms"] = wsbench(["storm", "--conns", str(opts.storm)] + common,
                                            opts.wsbench)["ms_all_echoed"]
        return row
    finally:
        if hold is not None:
            hold.send_signal(signal.SIGKILL)
            hold.wait()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def floor_churn(opts):
    port = free_port()
    return wsbench(["churn", "--floor", "--seconds", str(opts.seconds), "--port", str(port)],
                   opts.wsbench)["conns_per_s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--storm", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--wsbench", default="build-bench/bench/wsbench")
    opts = parser.parse_args()
    servers = [s.split("=", 1) for s in opts.server]
    rows = {name: [] for name, _ in servers}
    rows["floor"] = []
    print(f"load before: {os.getloadavg()}", flush=True)
    for run in range(opts.runs):
        for name, path in servers:
            row = measure(path, opts)
            rows[name].append(row)
            print(f"run {run + 1} {name}: {row}", flush=True)
        rows["floor"].append({"churn_alone": floor_churn(opts)})
        print(f"run {run + 1} floor: {rows['floor'][-1]}", flush=True)
    print(f"load after: {os.getloadavg()}")
    print("medians:")
    for name, runs in rows.items():
        keys = runs[0].keys()
        med = {k: round(statistics.median(r[k] for r in runs), 1) for k in keys}
        if "churn_with_idle" in med:
            med["churn_ratio_idle_over_alone"] = round(med["churn_with_idle"] / med["churn_alone"], 2)
            med["storm_ratio_alone_over_idle"] = round(med["storm_alone_ms"] /
                                                       med["storm_with_idle_ms"], 2)
        print(f"  {name}: {med}")
    floor = statistics.median(r["churn_alone"] for r in rows["floor"])
    for name, runs in rows.items():
        if name == "floor":
            continue
        churn = statistics.median(r["churn_alone"] for r in runs)
        print(f"  {name}: churn / floor = {churn / floor:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
