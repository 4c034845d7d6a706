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

It also prints where the server task woken by the echo ran: on the
program's own core or on another (usually an idle one), with the median
scheduling delay of each; on a VM whose idle CPUs halt, running an idle one
again takes the host tens of µs (docs/performance.md, "Churn, a fourth
look"). An echo that finds the server awake wakes nothing and is not
counted.

Last, per target, the time each party spent waiting for a CPU (woken, or
preempted, and not yet running again), per connection, split by what held
that CPU meanwhile: the client (the churn's own thread), the server (its
threads; the floor server's thread), the spawn helpers, the programs (from
their clone; a vfork child counts as a program), or the CPU's going from
idle to running. A client or server that waits behind a program still
starting up (exec, the dynamic loader) waits for most of that start-up
(docs/performance.md, "Churn, a seventh look").

And the wake-ups a connection costs, by who woke whom (a helper woken
twice a spawn showed there: docs/performance.md, "Churn, an eighth look"),
with the context switches.

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
    """Runs one churn against `target` with `perf sched record` over its middle
    second; returns the pids of the churn's client and of the server (None
    for the floor server, a thread of the client)."""
    port = churn_ab.free_port()
    churn = [wsbench, "churn", "--port", str(port), "--seconds", str(seconds + 2)]
    if target[0] == "floor":
        churn.append("--floor")
    server = churn_ab.start_server(wsbench, target, port, seconds, "churn_phases")
    try:
        client = subprocess.Popen(churn, stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        subprocess.run(["perf", "sched", "record", "-o", data, "-a", "--", "sleep", str(seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        client.communicate(timeout=seconds + 30)
    finally:
        churn_ab.stop_server(server)
    return {"client": str(client.pid), "server": str(server.pid) if server else None}


def timeline(data):
    """The lines of `perf sched timehist -w`, as tuples:

    ("wake", time, waker's CPU, waker pid, waker comm, wakee pid, wakee comm), and
    ("run", time, CPU, pid, comm, scheduling delay in s, process id): a task
    switched out after running on CPU, having waited that long to run once
    woken (or, if it was preempted, once switched out); an idle spell of the
    CPU is pid "0", comm "<idle>", no delay.
    """
    text = subprocess.run(["perf", "sched", "timehist", "-w", "-i", data], capture_output=True,
                          text=True, check=True).stdout
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 3 or not fields[0][:1].isdigit():
            continue
        # A CPU's idle spell (pid 0), or a wake-up an idle CPU delivered.
        if fields[2] in ("<idle>", "swapper"):
            wakee = TASK.match(fields[-1]) if "awakened:" in fields else None
            if wakee:
                yield ("wake", float(fields[0]), fields[1], "0", "<idle>", wakee["pid"],
                       wakee["comm"])
            elif "awakened:" not in fields:
                yield ("run", float(fields[0]), fields[1], "0", "<idle>", 0.0, "0")
            continue
        task = TASK.match(fields[2])
        if not task:
            continue
        if "awakened:" in fields:
            wakee = TASK.match(fields[-1])
            if wakee:
                yield ("wake", float(fields[0]), fields[1], task["pid"], task["comm"],
                       wakee["pid"], wakee["comm"])
        elif len(fields) >= 6:
            try:
                delay = float(fields[4]) / 1e3
            except ValueError:
                continue
            yield ("run", float(fields[0]), fields[1], task["pid"], task["comm"], delay,
                   task["tgid"] or task["pid"])


def wakeups(events):
    """(time, waker pid, waker comm, wakee pid, wakee comm) of timeline()'s wake-ups."""
    for event in events:
        if event[0] == "wake":
            yield event[1], event[3], event[4], event[5], event[6]


def program_pids(events):
    """The pids that were a `cat` at some point of timeline()'s events."""
    pids = set()
    for _, waker, waker_comm, wakee, wakee_comm in wakeups(events):
        if waker_comm == "cat":
            pids.add(waker)
        if wakee_comm == "cat":
            pids.add(wakee)
    return pids


def phases(events, children):
    """Medians (ms) of clone->exec, exec->echo, echo->next clone and the cycle,
    from timeline()'s events and program_pids()."""
    cloned, woke = {}, collections.defaultdict(list)
    for when, waker, waker_comm, wakee, wakee_comm in wakeups(events):
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


def echo_placement(events, children):
    """Where the server task woken by a program's first output line runs.

    The kernel may run it on the program's own core (where the program will
    block on its next read) or on another, often idle one, which on a VM
    with halting idle CPUs waits for the host to run that CPU again. Returns
    the share placed on the program's core and the median scheduling delay
    (µs) in each case; the echo is the program's second wake of another task,
    as in phases().
    """
    woken = collections.Counter()
    pending, delays = {}, {"same": [], "other": []}
    for event in events:
        if event[0] == "wake":
            _, _, cpu, waker, _, wakee, wakee_comm = event
            if waker in children and wakee != waker and not KERNEL.match(wakee_comm):
                woken[waker] += 1
                if woken[waker] == 2:
                    pending[wakee] = cpu
        elif event[3] in pending:
            _, _, cpu, pid, _, delay, _ = event
            delays["same" if cpu == pending.pop(pid) else "other"].append(delay * 1e6)
    total = len(delays["same"]) + len(delays["other"])
    if total == 0:
        return None
    median = lambda values: statistics.median(values) if values else float("nan")  # noqa: E731
    return {"echoes": total, "same_share": len(delays["same"]) / total,
            "same_delay_us": median(delays["same"]), "other_delay_us": median(delays["other"])}


def runs_with_previous(events):
    """timeline()'s run events, each with the run event before it on the same
    CPU (None for a CPU's first): what a task that waited for a CPU waited
    behind, or that the CPU was idle ("0") and had to wake."""
    last_on_cpu = {}
    for event in events:
        if event[0] != "run":
            continue
        yield event, last_on_cpu.get(event[2])
        last_on_cpu[event[2]] = event


def first_run_wait(events, children):
    """How long each program waited for a CPU after its clone, before it
    first ran: the median (µs) and the share of programs whose CPU was idle
    just before (a halted CPU woken for it). That wait is on the path from
    the spawn to the echo; on a VM whose idle CPUs halt, an idle CPU costs
    tens of µs to run again (docs/performance.md, "Churn, a ninth look")."""
    seen, delays, idle = set(), [], 0
    for (_, _, _, pid, _, delay, _), before in runs_with_previous(events):
        if pid in children and pid not in seen:
            seen.add(pid)
            delays.append(delay * 1e6)
            idle += before is not None and before[3] == "0"
    if not delays:
        return None
    return {"median_us": statistics.median(delays), "idle_share": idle / len(delays)}


def party(pid, process, comm, children, who):
    """Which party of a churn a task is: client, server, helper, program or idle."""
    if pid == "0":
        return "idle"
    if pid in children or comm == "cat":
        return "program"
    if pid == who["client"]:
        return "client"
    if process == who["server"] or process == who["client"]:  # the floor server's thread
        return "server"
    if comm == "exe":  # a spawn helper: wsexec runs them as /proc/self/exe
        return "helper"
    return "other"


PARTIES = ("client", "server", "helper", "program")


def waits_behind(events, children, who, connections):
    """Per connection (µs), each party's scheduling delay (woken or
    preempted, not yet running), by the party that ran on that CPU just
    before it did.

    {waiting party: {party before it: µs}}; "idle" before it is the CPU's
    own wake-up from idle.
    """
    waited = {p: collections.defaultdict(float) for p in PARTIES}
    for (_, _, _, pid, comm, delay, process), before in runs_with_previous(events):
        mine = party(pid, process, comm, children, who)
        if mine in waited and delay > 0 and before is not None:
            held_by = party(before[3], before[6], before[4], children, who)
            waited[mine][held_by] += delay * 1e6 / connections
    return waited


def wakes_between(events, children, who, connections):
    """Per connection: how often each party woke each other ({(waker, wakee):
    count}, "idle" for a wake-up delivered to an idle CPU), and how many
    context switches there were (a task switched out)."""
    process_of = {}
    for event in events:
        if event[0] == "run":
            process_of[event[3]] = event[6]
    woke = collections.Counter()
    switches = 0
    for event in events:
        if event[0] == "run":
            switches += event[3] != "0"
            continue
        if event[0] != "wake":
            continue
        _, _, _, waker, waker_comm, wakee, wakee_comm = event
        woke[(party(waker, process_of.get(waker, waker), waker_comm, children, who),
              party(wakee, process_of.get(wakee, wakee), wakee_comm, children, who))] += 1
    return {pair: n / connections for pair, n in woke.items()}, switches / connections


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="+")
    parser.add_argument("--seconds", type=float, default=1.0, help="recorded per target")
    parser.add_argument("--wsbench", default=os.path.join(HERE, "..", "build-bench", "bench",
                                                          "wsbench"))
    options = parser.parse_args()
    print(f"{'target':>14} {'children':>8} {'clone->exec':>11} {'exec->echo':>10} "
          f"{'echo->next':>10} {'cycle':>6}  (ms, medians) | woken by the program: "
          "on its core, delay there / elsewhere (µs) | the program's first run: "
          "waited (µs, median), after an idle CPU")
    waits = {}
    wakes = {}
    with tempfile.TemporaryDirectory() as scratch:
        for text in options.targets:
            target = churn_ab.parse_target(text)
            data = os.path.join(scratch, "sched.data")
            who = record(options.wsbench, target, options.seconds, data)
            events = list(timeline(data))  # one `perf sched timehist` per recording
            children = program_pids(events)
            result = phases(events, children)
            if result is None:
                print(f"{target[0]:>14} no children followed (is perf allowed to record?)")
                continue
            waits[target[0]] = waits_behind(events, children, who, result["children"])
            wakes[target[0]] = wakes_between(events, children, who, result["children"])
            print(f"{target[0]:>14} {result['children']:>8} {result['clone_exec']:11.3f} "
                  f"{result['exec_echo']:10.3f} {result['echo_next']:10.3f} "
                  f"{result['cycle']:6.3f}", end="")
            placed = echo_placement(events, children)
            if placed:
                print(f"  | {placed['same_share']:4.0%} of {placed['echoes']}, "
                      f"{placed['same_delay_us']:.0f} / {placed['other_delay_us']:.0f}", end="")
            first = first_run_wait(events, children)
            if first:
                print(f"  | {first['median_us']:.0f}, {first['idle_share']:.0%}", end="")
            print()
    print("\nwaiting for a CPU (woken or preempted), µs per connection, by what held it")
    befores = ("client", "server", "helper", "program", "idle", "other")
    print(f"{'target':>14} {'waiting':>8} " + " ".join(f"{b:>8}" for b in befores) + "    all")
    for label, table in waits.items():
        for mine in PARTIES:
            row = table[mine]
            if sum(row.values()) < 0.5:
                continue
            print(f"{label:>14} {mine:>8} " + " ".join(f"{row.get(b, 0.0):8.1f}" for b in befores)
                  + f" {sum(row.values()):6.1f}")
    print("\nwake-ups per connection, by waker -> wakee (\"idle\": one an idle CPU delivered),"
          " and context switches")
    for label, (woke, switches) in wakes.items():
        pairs = sorted(woke.items(), key=lambda item: -item[1])
        shown = ", ".join(f"{a}->{b} {n:.2f}" for (a, b), n in pairs if n >= 0.05)
        print(f"{label:>14} all {sum(woke.values()):.2f}, switches {switches:.2f}: {shown}")


if __name__ == "__main__":
    main()
