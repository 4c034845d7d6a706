#!/usr/bin/env python3
"""Issue 16, item 4: a serial churn connection as the server's system calls see it.

For each target, a fresh server (as bench/churn_ab.py starts it) runs `cat`
for a `wsbench churn`; one second in the middle is recorded with `perf
record -e raw_syscalls:*` on the server's threads only (root, or a
perf_event_paranoid that allows it). Recording one process's system calls
slows churn by a few per cent, where strace halves it and a system-wide
recording (every `cat`'s exec included) doubles the opening.

The thread that accepts is followed from each accept to the next, and the
medians of these moments are printed, in µs after the accept:

- request: the upgrade request read from the client's socket;
- spawn asked: the request sent to a spawn helper (a sendmsg on another
  socket before the echo; absent when the server spawns directly);
- 101 sent: the first send on the client's socket (its start);
- answer: the helper's answer read (a recvmsg on the helper's socket);
- echo sent: the second send on the client's socket;
- close frame: the client's close frame read;
- close reply: the third send on the client's socket;
- FIN sent: the shutdown of the client's socket;
- FIN read: the read of the client's socket that returned 0;
- closed: the close of the client's socket;
- next accept: the cycle.

Then the system calls a connection costs on that thread (count and time
inside them), and the kinds that take the most time. Comparing wsexec with
`design-ladder` (wsexec's design in a minimal server) shows which moments
the server's own code delays (docs/performance.md, "Churn, an eleventh
look").

    sudo bench/churn_syscalls.py main=build/wsexec \\
        'watch=build-bench/bench/design-ladder HELPER=1 EARLY=1 FIN=1 WATCH=1'

Targets are those of churn_ab.py (LABEL=PATH [ARGS...] [NAME=VALUE...]),
or `floor-process`; not `floor`, which is a thread of the client.
"""
import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in bench/
import churn_ab  # noqa: E402  (the targets, the ports, the waits)

# x86_64 numbers of the calls a connection makes.
NAMES = {0: "read", 1: "write", 3: "close", 16: "ioctl", 20: "writev", 43: "accept",
         44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 48: "shutdown",
         54: "setsockopt", 56: "clone", 61: "wait4", 62: "kill", 72: "fcntl",
         232: "epoll_wait", 233: "epoll_ctl", 247: "waitid", 286: "timerfd_settime",
         288: "accept4", 293: "pipe2", 424: "pidfd_send_signal", 434: "pidfd_open"}
ACCEPTS = {43, 288}
SENDS = {1, 20, 44, 46}
READS = {0, 19, 45, 47}
MOMENTS = ["request", "spawn asked", "101 sent", "answer", "echo sent", "close frame",
           "close reply", "FIN sent", "FIN read", "closed"]


def record(wsbench, target, seconds, data):
    """One churn against `target`, its middle `seconds` recorded into `data`."""
    port = churn_ab.free_port()
    server = churn_ab.start_server(wsbench, target, port, seconds, "churn_syscalls")
    try:
        client = subprocess.Popen(
            [wsbench, "churn", "--port", str(port), "--seconds", str(seconds + 2)],
            stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        subprocess.run(["perf", "record", "-e", "raw_syscalls:sys_enter,raw_syscalls:sys_exit",
                        "-p", str(server.pid), "-o", data, "--", "sleep", str(seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        client.communicate(timeout=seconds + 30)
    finally:
        churn_ab.stop_server(server)


def calls(data):
    """Each recorded call as (thread, enter µs, exit µs, number, first argument, result)."""
    text = subprocess.run(["perf", "script", "-i", data, "-F", "tid,time,event,trace"],
                          capture_output=True, text=True, check=True).stdout
    entered = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[3] != "NR":
            continue
        thread, at, number = int(fields[0]), float(fields[1].rstrip(":")) * 1e6, int(fields[4])
        if "sys_enter" in fields[2]:
            first = line.split("(", 1)[1].split(",", 1)[0].rstrip(")")
            entered[thread] = (at, number, int(first, 16) if first else 0)
        elif thread in entered and entered[thread][1] == number:
            began, _, first = entered.pop(thread)
            yield thread, began, at, number, first, int(fields[-1])


def connections(recorded):
    """Per connection of the accepting thread: its moments (µs after the
    accept), its calls' count and time, and the time per kind of call."""
    by_thread = collections.defaultdict(list)
    for call in recorded:
        by_thread[call[0]].append(call)
    accepts = {t: sum(1 for c in cs if c[3] in ACCEPTS and c[5] >= 0) for t, cs in by_thread.items()}
    thread = max(accepts, key=accepts.get)
    current = None
    for _, began, ended, number, fd, result in by_thread[thread]:
        if number in ACCEPTS and result >= 0:
            if current:
                current["moments"]["next accept"] = ended - current["start"]
                yield current
            current = {"start": ended, "client": result, "moments": {}, "sends": 0, "calls": 0,
                       "inside": 0.0, "kinds": collections.Counter(), "helper": None}
            continue
        if current is None:
            continue
        current["calls"] += 1
        current["inside"] += ended - began
        current["kinds"][NAMES.get(number, f"NR {number}")] += ended - began
        moments = current["moments"]
        at, done = began - current["start"], ended - current["start"]  # the call's start, end
        client = fd == current["client"]
        if client and number in READS:
            if result > 0 and "request" not in moments:
                moments["request"] = done
            elif result > 0 and "echo sent" in moments:
                moments.setdefault("close frame", done)
            elif result == 0:
                moments.setdefault("FIN read", done)
        elif client and number in SENDS:
            current["sends"] += 1
            sent = {1: "101 sent", 2: "echo sent", 3: "close reply"}.get(current["sends"])
            if sent:
                moments[sent] = at
        elif client and number == 48:
            moments.setdefault("FIN sent", at)
        elif client and number == 3:
            moments.setdefault("closed", at)
        elif number == 46 and current["helper"] is None and "echo sent" not in moments:
            current["helper"] = fd
            moments["spawn asked"] = at
        elif number == 47 and fd == current["helper"] and result > 0:
            moments.setdefault("answer", done)
    # The last connection has no next accept: it is left out.


def report(label, found):
    print(f"\n{label}: {len(found)} connections")
    for name in MOMENTS + ["next accept"]:
        values = [c["moments"][name] for c in found if name in c["moments"]]
        if values:
            print(f"  {name:12s} {statistics.median(values):7.0f} µs  ({len(values)} connections)")
    print(f"  system calls a connection: {statistics.median(c['calls'] for c in found):.0f}, "
          f"{statistics.median(c['inside'] for c in found):.0f} µs inside them "
          "(blocking waits included)")
    names = {name for c in found for name in c["kinds"]}
    medians = {name: statistics.median(c["kinds"][name] for c in found) for name in names}
    top = sorted(medians.items(), key=lambda item: -item[1])[:8]
    print("  µs a connection by call (medians): " +
          ", ".join(f"{name} {value:.0f}" for name, value in top))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", help="LABEL=PATH [ARGS...] [NAME=VALUE...]")
    parser.add_argument("--seconds", type=float, default=1.0, help="recorded per target")
    parser.add_argument("--wsbench", default=os.path.join(HERE, "..", "build-bench", "bench",
                                                          "wsbench"))
    options = parser.parse_args()
    targets = [churn_ab.parse_target(text) for text in options.targets]
    if any(target[0] == "floor" for target in targets):
        sys.exit("churn_syscalls: `floor` is a thread of the client; use floor-process")
    with tempfile.TemporaryDirectory() as directory:
        for target in targets:
            data = os.path.join(directory, f"{target[0]}.data")
            record(options.wsbench, target, options.seconds, data)
            report(target[0], list(connections(calls(data))))


if __name__ == "__main__":
    main()
