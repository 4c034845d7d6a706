#!/usr/bin/env python3
"""Issue 16, items 3 and 4: does a connection cost more when the server is big?

For each server binary given (interleaved, --runs times), on 127.0.0.1:
  churn alone; a storm of --storm connections at once;
  then --idle connections opened and held (wsbench hold), and the same
  churn and storm again alongside them;
and the floor server's churn (the least a spawning server does) once per run,
and beside each server's churn alone and beside its idle connections (what the
machine loses with them, apart from what the server does).
Prints every run and the medians, and the ratios "with idle / alone".

    bench/spawn_scale.py --server after=build/wsexec --server before=/tmp/wsexec-direct \
        --runs 3 [--idle 1000] [--storm 200] [--wsbench build-bench/bench/wsbench] [--cpu]

A server is any binary taking --port= --address= --maxforks=0 and the
command: websocketd too (--server websocketd=../shared/reference/websocketd-head),
to tell what the machine loses beside 1,000 idle connections from what we do.
--cpu: where each churn's CPU time went (the server's threads, the children it
reaped, its spawn helpers, the churn client, the wsbench holding the idle ones).

Run it un-niced; say in the figures what else the machine was doing.
"""
import argparse
import json
import os
import resource
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


def is_spawn_helper(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"--internal-spawn-helper" in f.read().split(b"\0")
    except OSError:
        return False


def children(pid):
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def program_children(pid):
    """The server's children that run a client's program (helpers left out):
    one per connection, whatever the server's descriptors per connection."""
    return [kid for kid in children(pid) if not is_spawn_helper(kid)]


TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(path):
    """/proc/.../stat after the command name: field 3 is index 0."""
    try:
        with open(path) as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(path, with_reaped=False):
    fields = stat_fields(path)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if with_reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: children waited for
    return ticks / TICK


def cpu_sample(server_pid, hold_pid):
    """CPU seconds so far: each server thread, the children the server reaped,
    its spawn helpers, the holding wsbench, each program running now."""
    sample = {"threads": {}}
    try:
        for task in os.listdir(f"/proc/{server_pid}/task"):
            sample["threads"][task] = cpu_seconds(f"/proc/{server_pid}/task/{task}/stat")
    except OSError:
        pass
    fields = stat_fields(f"/proc/{server_pid}/stat")
    sample["reaped_children"] = ((int(fields[13]) + int(fields[14])) / TICK) if fields else 0.0
    sample["helpers"] = sum(cpu_seconds(f"/proc/{kid}/stat", with_reaped=True)
                            for kid in children(server_pid) if is_spawn_helper(kid))
    sample["hold"] = cpu_seconds(f"/proc/{hold_pid}/stat") if hold_pid else 0.0
    # The programs alive now; those still alive after the churn are the idle ones.
    sample["programs"] = {kid: cpu_seconds(f"/proc/{kid}/stat")
                          for kid in program_children(server_pid)}
    sample["client"] = (lambda r: r.ru_utime + r.ru_stime)(
        resource.getrusage(resource.RUSAGE_CHILDREN))
    return sample


def cpu_spent(before, after, seconds):
    """Cores used over the churn: the server's threads (busiest first), the
    children it reaped, its helpers, the churn client, the holding wsbench,
    the programs of the idle connections."""
    threads = sorted((after["threads"].get(t, 0.0) - before["threads"].get(t, 0.0)
                      for t in after["threads"]), reverse=True)
    spent = {"server_threads": [round(t / seconds, 2) for t in threads if t > 0]}
    for key in ("reaped_children", "helpers", "client", "hold"):
        spent[key] = round((after[key] - before[key]) / seconds, 2)
    spent["idle_programs"] = round(sum(after["programs"][kid] - before["programs"][kid]
                                       for kid in after["programs"] if kid in before["programs"])
                                   / seconds, 2)
    return spent


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

        def churn(label, hold_pid=None):
            before = cpu_sample(server.pid, hold_pid) if opts.cpu else None
            result = wsbench(["churn", "--seconds", str(opts.seconds)] + common, opts.wsbench)
            row[label] = result["conns_per_s"]
            # Where one connection's time goes: connect to 101, echo, close.
            for phase in ("open", "echo", "close"):
                row[f"{label}_{phase}_ms"] = result.get(f"{phase}_ms_p50")
            if opts.cpu:
                row[label + "_cpu"] = cpu_spent(before, cpu_sample(server.pid, hold_pid),
                                                opts.seconds)

        churn("churn_alone")
        # The floor server (bench/src/floor_server.cpp) on another port,
        # alone now and again below beside this server's idle connections:
        # what the machine loses with them (their sockets, their programs,
        # the holding wsbench), whichever server holds them.
        row["floor_alone"] = floor_churn(opts)
        row["storm_alone_ms"] = wsbench(["storm", "--conns", str(opts.storm)] + common,
                                        opts.wsbench)["ms_all_echoed"]
        time.sleep(0.5)
        hold = subprocess.Popen([opts.wsbench, "hold", "--conns", str(opts.idle), "--seconds",
                                 "600", "--server-pid", str(server.pid)] + common,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 60
        while len(program_children(server.pid)) < opts.idle and time.time() < end:
            time.sleep(0.2)
        row["fds_held"] = fd_count(server.pid)
        row["children_held"] = len(program_children(server.pid))
        time.sleep(1.0)
        churn("churn_with_idle", hold.pid)
        row["floor_beside_idle"] = floor_churn(opts)
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
    parser.add_argument("--cpu", action="store_true", help="where each churn's CPU time went")
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
        keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
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
