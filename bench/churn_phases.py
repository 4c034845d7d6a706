#!/usr/bin/env python3
"""Issue 16, item 4: where a serial churn connection's time goes, seen from the scheduler.

For each target, a fresh server (as bench/churn_ab.py starts it) runs `cat`
for a `wsbench churn`; one second in the middle is recorded with `perf sched
record -a` (root, or a perf_event_paranoid that allows it). Each `cat` is then
followed through the wake-ups it takes part in:

- clone: its parent (a spawn helper, or the floor server's thread) wakes it;
- exec: it wakes its parent (a vfork child does so when its exec is done);
- echo: it next wakes a task of the server (its first output line);
- the next clone: the next connection's child is started.

and the medians of clone -> exec, exec -> echo (the program's start-up, with
the client's first message already waiting for it or not) and echo -> next
clone (the echo's way to the client, the close handshake, the reconnect, the
upgrade request and the spawn request) are printed, with the cycle. Every
server starts a child the same way, so a difference between a server and the
floor server shows which part of the cycle is the server's own.

    sudo bench/churn_phases.py base=build/wsexec floor floor-process

Targets are those of churn_ab.py: LABEL=PATH [NAME=VALUE...], `floor`,
`floor-process`. The figures include perf's own cost (it slows churn by
10-20 %); compare targets measured in the same run.
"""
import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in bench/
import churn_ab  # noqa: E402  (the targets, the ports, the waits)

TASK = re.compile(r"^(?P<comm>.+)\[(?P<pid>\d+)(?:/(?P<tgid>\d+))?\]$")
KERNEL = re.compile(r"^(rcu|migration|kworker|ksoftirq|kthreadd|kcompactd|kdamond)")


def record(wsbench, target, seconds, data):
    """Runs one churn against `target` with `perf sched record` over its middle second."""
    label, path, args, env = target
    port = churn_ab.free_port()
    server = None
    churn = [wsbench, "churn", "--port", str(port), "--seconds", str(seconds + 2)]
    if label == "floor":
        churn.append("--floor")
    else:
        if label == "floor-process":
            command = [wsbench, "floor-server", "--port", str(port), "--seconds",
                       str(seconds + 60), "--command", "/bin/cat"]
        else:
            command = [path, f"--port={port}", "--address=127.0.0.1", "--maxforks=0", *args,
                       "cat"]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env={**os.environ, **env})
        if not churn_ab.wait_for_port(port):
            server.kill()
            sys.exit(f"churn_phases: {label} did not listen on {port}")
    try:
        client = subprocess.Popen(churn, stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        subprocess.run(["perf", "sched", "record", "-o", data, "-a", "--", "sleep", str(seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        out, _ = client.communicate(timeout=seconds + 30)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
    return out.strip().splitlines()[-1] if out.strip() else ""


def wakeups(data):
    """(time, waker pid, waker comm, wakee pid, wakee comm) from `perf sched timehist -w`."""
    text = subprocess.run(["perf", "sched", "timehist", "-w", "-i", data], capture_output=True,
                          text=True, check=True).stdout
    for line in text.splitlines():
        fields = line.split()
        if "awakened:" not in fields or not fields[0][:1].isdigit():
            continue
        waker = TASK.match(fields[2])
        wakee = TASK.match(fields[-1])
        if waker and wakee:
            yield (float(fields[0]), waker["pid"], waker["comm"], wakee["pid"], wakee["comm"])


def phases(data):
    """Medians (ms) of clone->exec, exec->echo, echo->next clone and the cycle."""
    events = list(wakeups(data))
    children = {wakee for _, _, _, wakee, comm in events if comm == "cat"}
    children |= {waker for _, waker, comm, _, _ in events if comm == "cat"}
    cloned, woke = {}, collections.defaultdict(list)
    for when, waker, waker_comm, wakee, wakee_comm in events:
        if wakee in children and wakee not in cloned and waker not in children:
            cloned[wakee] = when
        if waker in children and waker != wakee and not KERNEL.match(wakee_comm):
            woke[waker].append(when)
    rows = sorted((cloned[pid], woke[pid][0], woke[pid][1])
                  for pid in cloned if len(woke[pid]) >= 2)
    if len(rows) < 3:
        return None
    ms = lambda values: statistics.median(values) * 1e3  # noqa: E731
    return {
        "children": len(rows),
        "clone_exec": ms([e - c for c, e, _ in rows]),
        "exec_echo": ms([o - e for _, e, o in rows]),
        "echo_next": ms([b[0] - a[2] for a, b in zip(rows, rows[1:])]),
        "cycle": ms([b[0] - a[0] for a, b in zip(rows, rows[1:])]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--seconds", type=float, default=1.0, help="recorded per target")
    parser.add_argument("--wsbench", default=os.path.join(HERE, "..", "build-bench", "bench",
                                                          "wsbench"))
    options = parser.parse_args()
    print(f"{'target':>14} {'children':>8} {'clone->exec':>11} {'exec->echo':>10} "
          f"{'echo->next':>10} {'cycle':>6}  (ms, medians)")
    with tempfile.TemporaryDirectory() as scratch:
        for text in options.targets:
            target = churn_ab.parse_target(text)
            data = os.path.join(scratch, "sched.data")
            record(options.wsbench, target, options.seconds, data)
            result = phases(data)
            if result is None:
                print(f"{target[0]:>14} no children followed (is perf allowed to record?)")
                continue
            print(f"{target[0]:>14} {result['children']:>8} {result['clone_exec']:11.3f} "
                  f"{result['exec_echo']:10.3f} {result['echo_next']:10.3f} "
                  f"{result['cycle']:6.3f}")


if __name__ == "__main__":
    main()
