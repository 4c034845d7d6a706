#!/usr/bin/env python3
"""wsexec and websocketd side by side.

Runs every scenario of wsbench against both servers, interleaved A B A B,
several runs each, on 127.0.0.1 (ports 18600-18999), and writes
docs/performance/results.md, results.json and SVG plots (gnuplot).

    bench/side_by_side.py                  # builds what it needs, 5 runs
    bench/side_by_side.py --runs 3 --no-scale
    bench/side_by_side.py --historical     # Debian's 0.4.1 as a third column
    bench/side_by_side.py --smoke          # a few seconds, wsexec only (CI)

The websocketd it compares with is the upstream build of the 0.5 line,
../shared/reference/websocketd-head beside this repository, unless
--websocketd names another; Debian's 0.4.1 is used only when neither exists.
Which build ran is printed and written into the results. Every server runs
without a process cap (--maxforks=0): websocketd 0.5's default of 1,024
would refuse half of the storm of 2,000.

Every process it starts is tracked by PID and ended; orphans (children of
a server that was stopped) come back to this script, which is made a child
subreaper, and are killed and reaped too.
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The reference websocketd: upstream's main branch, the 0.5 line (see its
# README.md), built once for every engineer beside the repositories.
REFERENCE_WEBSOCKETD = os.path.join(os.path.dirname(REPO), "shared", "reference",
                                    "websocketd-head")
# The historical column (--historical): Debian's package, 0.4.1.
HISTORICAL = "websocketd-0.4.1"
SERVER_PORTS = range(18600, 18900)
INPROC_PORTS = range(18900, 19000)

# --------------------------------------------------------------- scenarios
#
# name: (wsbench arguments, mode, command, metrics to report)
# mode: "text" or "binary" (the server's --binary); command: "cat" or
# "slowcat". Each metric: (key in wsbench's JSON, label, "lower"/"higher"
# is better, unit).

LAT = [("us_p50", "p50", "lower", "µs"), ("us_p90", "p90", "lower", "µs"),
       ("us_p99", "p99", "lower", "µs"), ("us_max", "max", "lower", "µs")]
MSGS = [("msgs_per_s", "messages/s", "higher", "msg/s")]
MBS = [("mb_per_s", "MB/s", "higher", "MB/s")]
# Churn, and where one connection's time goes (TCP connect to the 101; the
# echo; the close handshake to the server's EOF).
CHURN = [("conns_per_s", "connections/s", "higher", "conn/s"),
         ("open_ms_p50", "opening p50", "lower", "ms"),
         ("echo_ms_p50", "first echo p50", "lower", "ms"),
         ("close_ms_p50", "closing p50", "lower", "ms")]
STORM = [("ms_all_echoed", "all echoed", "lower", "ms"), ("ms_p50", "p50 echoed", "lower", "ms")]
HOLD = [("rss_per_conn_kib", "server RSS/conn", "lower", "KiB"),
        ("fds_per_conn", "fds/conn", "lower", ""),
        ("child_pss_kib", "child PSS", "lower", "KiB"),
        ("still_echoing", "still echoing", "higher", "conns"),
        ("open_seconds", "time to open them all", "lower", "s")]

FULL = [
    ("latency", ["latency", "--count", "2000", "--warmup", "100"], "text", "cat", LAT),
    ("throughput-1", ["throughput", "--conns", "1", "--seconds", "3"], "text", "cat", MSGS),
    ("throughput-50", ["throughput", "--conns", "50", "--seconds", "3"], "text", "cat", MSGS),
    ("churn", ["churn", "--seconds", "3"], "text", "cat", CHURN),
    ("storm-100", ["storm", "--conns", "100"], "text", "cat", STORM),
    ("storm-500", ["storm", "--conns", "500"], "text", "cat", STORM),
    ("storm-2000", ["storm", "--conns", "2000"], "text", "cat", STORM),
    # Windows websocketd 0.4.1 survives (it deadlocks with a few hundred
    # KiB in flight, and with any single 1 MiB message): see performance.md.
    ("binary-1k", ["binary", "--size", "1k", "--window", "64k", "--seconds", "3", "--stall", "3"],
     "binary", "cat", MBS),
    ("binary-64k", ["binary", "--size", "64k", "--window", "256k", "--seconds", "3",
                    "--stall", "3"], "binary", "cat", MBS),
    ("binary-1m", ["binary", "--size", "1m", "--window", "1m", "--seconds", "3", "--stall", "3"],
     "binary", "cat", MBS),
    ("binary-64k-deep", ["binary", "--size", "64k", "--window", "1m", "--seconds", "3",
                         "--stall", "3"], "binary", "cat", MBS),
    ("hold-1000", ["hold", "--conns", "1000", "--seconds", "5"], "text", "cat", HOLD),
    ("slow-consumer", ["slow", "--messages", "8192", "--size", "1024", "--stall", "10"], "text",
     "slowcat", [("rss_growth_kib", "server RSS growth", "lower", "KiB"),
                 ("lost", "lost", "lower", "msgs"),
                 ("seconds", "time", "lower", "s")]),
]
SCALE = ("scale-3500", ["hold", "--conns", "3500", "--seconds", "60", "--parallel", "64"],
         "text", "cat", HOLD)

SMOKE = [
    ("latency", ["latency", "--count", "200", "--warmup", "20"], "text", "cat", LAT),
    ("throughput-1", ["throughput", "--conns", "1", "--seconds", "0.5", "--warmup", "0.2"],
     "text", "cat", MSGS),
    ("throughput-50", ["throughput", "--conns", "10", "--seconds", "0.5", "--warmup", "0.2"],
     "text", "cat", MSGS),
    ("churn", ["churn", "--seconds", "0.5"], "text", "cat", CHURN),
    ("storm-100", ["storm", "--conns", "50"], "text", "cat", STORM),
    ("binary-64k", ["binary", "--size", "64k", "--window", "256k", "--seconds", "0.5",
                    "--warmup", "0.2"], "binary", "cat", MBS),
    ("hold-1000", ["hold", "--conns", "50", "--seconds", "1"], "text", "cat", HOLD),
    ("slow-consumer", ["slow", "--messages", "512", "--size", "1024"], "text", "slowcat",
     [("rss_growth_kib", "server RSS growth", "lower", "KiB"), ("lost", "lost", "lower", "msgs")]),
]

# Limits measured again in every run of a scenario they bound (A B L A B L
# ...), so that a limit and the results it is compared with share the
# machine's conditions of the moment.
RELATED_LIMITS = {
    "latency": ["pipe-rtt-p50", "pipe-rtt-p99"],
    "churn": ["spawn", "spawn-echo"],
    "storm-500": ["spawn-2"],
    "binary-64k": ["pipe-64k"],
    "binary-1m": ["pipe-64k"],
}

# Scenarios also run against the floor server (bench/src/floor_server.hpp:
# the least a server that spawns a child per connection can do, serially),
# once per run beside the two servers (A B F A B F ...).
FLOORED = {"churn"}

# Scenarios whose speed the in-process echo server can bound (the ceiling).
CEILING = {"latency", "throughput-1", "throughput-50", "churn", "storm-100", "storm-500",
           "storm-2000", "binary-1k", "binary-64k", "binary-1m", "binary-64k-deep"}

# Targets of issues 5 and 16. kind "ratio": wsexec / websocketd compared with a
# bound; "abs": wsexec's own value; "limit": a fraction of a limit.
TARGETS = [
    ("latency p50 ≤ 0.6×", "latency", "us_p50", "ratio", "<=", 0.6),
    ("latency p99 ≤ 0.3×", "latency", "us_p99", "ratio", "<=", 0.3),
    ("throughput, 1 conn ≥ 3×", "throughput-1", "msgs_per_s", "ratio", ">=", 3.0),
    ("throughput, 50 conns ≥ 3×", "throughput-50", "msgs_per_s", "ratio", ">=", 3.0),
    ("churn ≥ 2.5×", "churn", "conns_per_s", "ratio", ">=", 2.5),
    ("churn ≥ 80 % of the spawn limit", "churn", "conns_per_s", "limit:spawn", ">=", 0.8),
    ("storm of 500 ≤ 0.4× the time", "storm-500", "ms_all_echoed", "ratio", "<=", 0.4),
    ("binary 64 KiB ≥ 2.5×", "binary-64k", "mb_per_s", "ratio", ">=", 2.5),
    ("binary 64 KiB ≥ 50 % of the pipe limit", "binary-64k", "mb_per_s", "limit:pipe-64k", ">=",
     0.5),
    ("binary 1 MiB ≥ 2.5×", "binary-1m", "mb_per_s", "ratio", ">=", 2.5),
    ("binary 1 MiB ≥ 50 % of the pipe limit", "binary-1m", "mb_per_s", "limit:pipe-64k", ">=",
     0.5),
    ("≤ 8 KiB server RSS per idle connection", "hold-1000", "rss_per_conn_kib", "abs", "<=", 8.0),
    ("≤ 6 descriptors per connection", "hold-1000", "fds_per_conn", "abs", "<=", 6.0),
    ("3,500 connections held 60 s, all echoing", "scale-3500", "still_echoing", "abs", ">=",
     3500),
    # Issue 16: binary 1 KiB messages, and the slowest round trip.
    ("binary 1 KiB ≥ 1.5×", "binary-1k", "mb_per_s", "ratio", ">=", 1.5),
    ("binary 64 KiB ≥ 2× (issue 16)", "binary-64k", "mb_per_s", "ratio", ">=", 2.0),
    ("latency max ≤ 1×", "latency", "us_max", "ratio", "<=", 1.0),
]

# ---------------------------------------------------------------- helpers


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except OSError:
        pass


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def as_root(command):
    if os.geteuid() != 0:
        command = ["sudo"] + command
    return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def apt_install(package):
    log(f"installing {package} (apt-get)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
                   if os.geteuid() == 0 else
                   ["sudo", "apt-get", "install", "-y", "-qq", "--no-install-recommends", package],
                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cmake_build(source, build, targets, extra=()):
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                        *extra], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build, "-j2", "--target", *targets], check=True,
                   stdout=subprocess.DEVNULL)


class Ports:
    def __init__(self, ports):
        self.ports = list(ports)
        self.next = 0

    def take(self):
        # Rotate, skipping ports something else listens on.
        for _ in range(len(self.ports)):
            port = self.ports[self.next]
            self.next = (self.next + 1) % len(self.ports)
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
        raise RuntimeError("no free port in range")


def children_of(pid):
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def parent_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def reap_orphans(known):
    """Kill and reap every PID in `known` that became our child (we are a
    subreaper), then collect any other exited child."""
    me = os.getpid()
    for pid in known:
        if parent_of(pid) == me:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.time() + 5
    for pid in known:
        if parent_of(pid) != me:
            continue
        while time.time() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                break
            if done:
                break
            time.sleep(0.01)
    while True:
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if done == 0:
            break


class Server:
    """One server under test, started on a port and stopped by PID."""

    def __init__(self, kind, binary_path, port, mode, command, log_path):
        self.kind = kind
        # No process cap on any server: websocketd 0.5 defaults to 1,024 and
        # would refuse half of the storm of 2,000 (0.4.1 had none; 0 means
        # none for all three).
        args = [binary_path, f"--port={port}", "--address=127.0.0.1", "--maxforks=0"]
        if mode == "binary":
            args.append("--binary")
        args += command
        self.log = open(log_path, "ab")
        # The log goes to /dev/null (access level, the default, for both):
        # stderr (start-up errors) is kept.
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        self.port = port
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{kind} exited at start-up (status {self.proc.returncode})")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{kind} did not listen on {port}")

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        known = set(children_of(self.proc.pid))
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        reap_orphans(known)
        self.log.close()


def run_wsbench(wsbench, args, port, server_pid=None, timeout=180):
    command = [wsbench] + args + ["--port", str(port)]
    if server_pid is not None:
        command += ["--server-pid", str(server_pid)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return {"status": "error", "detail": f"wsbench timed out after {timeout} s"}
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        return {"status": "error", "detail": (err or out).strip()[:300] or "no output"}
    return json.loads(lines[-1])


def median_range(values):
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(value, unit=""):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1e5 else str(value)
    magnitude = abs(value)
    if magnitude >= 1e5:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return text


def machine_info():
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info["cores"] = os.cpu_count()
    try:
        with open("/proc/meminfo") as f:
            info["memory_gib"] = round(int(f.readline().split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    info["kernel"] = platform.release()
    info["loadavg"] = os.getloadavg()
    info["fd_limit"] = resource.getrlimit(resource.RLIMIT_NOFILE)
    return info


def version_of(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=5)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def describe_websocketd(path):
    """Which websocketd a binary is, for the output and the results: its
    --version line (the upstream build says only "DEVBUILD"), its path and
    the start of its SHA-256, so a reader can tell the builds apart."""
    import hashlib
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    version = version_of([path, "--version"])
    if os.path.realpath(path) == os.path.realpath(REFERENCE_WEBSOCKETD):
        line = "upstream main 0a38c72, the 0.5 line (reference build)"
    elif "0.4.1" in version:
        line = "Debian's 0.4.1"
    else:
        line = "as given"
    return f"{line}: `{version}`, {path}, sha256 {digest}"


def find_websocketd(requested):
    """The websocketd to compare with: --websocketd, else the reference build,
    else Debian's (installed if missing)."""
    if requested:
        return requested
    if os.access(REFERENCE_WEBSOCKETD, os.X_OK):
        return REFERENCE_WEBSOCKETD
    log(f"the reference build {REFERENCE_WEBSOCKETD} is missing: comparing with Debian's "
        "websocketd (0.4.1), which is not the websocketd users meet today")
    return find_debian_websocketd()


def find_debian_websocketd():
    found = shutil.which("websocketd")
    if not found:
        apt_install("websocketd")
        found = shutil.which("websocketd")
    if not found:
        sys.exit("websocketd not found (apt-get install websocketd, or --websocketd PATH)")
    return found


# ------------------------------------------------------------------- runs


def limit_specs(seconds, smoke):
    specs = [("spawn", ["limit-spawn", "--seconds", seconds], "spawns_per_s")]
    if not smoke:
        # The critical path of one connection (the reap happens later,
        # elsewhere), and what both cores can spawn together.
        specs.append(("spawn-echo", ["limit-spawn", "--seconds", seconds, "--reap-later"],
                      "spawns_per_s"))
        specs.append(("spawn-2", ["limit-spawn", "--seconds", seconds, "--threads", "2"],
                      "spawns_per_s"))
        specs.append(("spawn-5000fds", ["limit-spawn", "--seconds", seconds, "--open-fds",
                                        "5000"], "spawns_per_s"))
    for size in (["64k"] if smoke else ["1k", "64k", "1m"]):
        specs.append((f"pipe-{size}", ["limit-pipe", "--size", size, "--seconds", seconds],
                      "mb_per_s"))
    if not smoke:
        # What having a child adds to a round trip: a line through cat.
        specs.append(("pipe-rtt-p50", ["limit-pipe-rtt", "--count", "2000"], "us_p50"))
        specs.append(("pipe-rtt-p99", ["limit-pipe-rtt", "--count", "2000"], "us_p99"))
    return specs


def measure_one_limit(wsbench, limits, name, seconds="2"):
    spec = next(x for x in limit_specs(seconds, False) if x[0] == name)
    result = run_wsbench(wsbench, spec[1], 0)
    entry = limits.setdefault(name, {"key": spec[2], "values": []})
    if result.get("status") == "ok":
        entry["values"].append(result[spec[2]])
    else:
        log(f"limit {name}: {result.get('detail')}")


def measure_limits(wsbench, runs, smoke):
    seconds = "0.5" if smoke else "3"
    limits = {}
    for name, args, key in limit_specs(seconds, smoke):
        values = []
        for _ in range(runs):
            result = run_wsbench(wsbench, args, 0)
            if result.get("status") == "ok":
                values.append(result[key])
            else:
                log(f"limit {name}: {result.get('detail')}")
        limits[name] = {"key": key, "values": values}
        if values:
            log(f"limit {name}: {statistics.median(values):.1f} {key}")
    return limits


def measure_ceiling(wsbench, scenario, ports, runs):
    name, args, _mode, _command, metrics = scenario
    results = []
    for _ in range(runs):
        results.append(run_wsbench(wsbench, args + ["--inproc"], ports.take()))
    return results


def run_scenario(tools, scenario, servers, ports, runs, timeout, limits=None):
    name, args, mode, command_kind, _metrics = scenario
    command = ["cat"] if command_kind == "cat" else [tools["slowcat"], "--chunk", "4096",
                                                     "--delay-us", "1000"]
    results = {kind: [] for kind in servers}
    for run in range(runs):
        for kind in servers:  # A B A B ...
            server = Server(kind, servers[kind], ports.take(), mode, command, tools["log"])
            try:
                result = run_wsbench(tools["wsbench"], args, server.port, server.pid, timeout)
            finally:
                server.stop()
            results[kind].append(result)
            status = result.get("status")
            brief = ", ".join(f"{m[1]} {fmt(result.get(m[0]))}" for m in scenario[4]
                              if result.get(m[0]) is not None)
            log(f"{name} run {run + 1}/{runs} {kind}: {status} {brief}"
                + (f" ({result.get('detail')})" if status != "ok" else ""))
        if name in FLOORED:
            result = run_wsbench(tools["wsbench"], args + ["--floor"], ports.take(), None,
                                 timeout)
            results.setdefault("floor", []).append(result)
            log(f"{name} run {run + 1}/{runs} floor: {result.get('status')} " + ", ".join(
                f"{m[1]} {fmt(result.get(m[0]))}" for m in scenario[4]
                if result.get(m[0]) is not None))
        if limits is not None:
            for limit in RELATED_LIMITS.get(name, []):
                measure_one_limit(tools["wsbench"], limits, limit)
    return results


# ---------------------------------------------------------------- summary


def values_of(results, key):
    return [r[key] for r in results if r.get("status") == "ok" and r.get(key) is not None]


def stalls_of(results):
    return sum(1 for r in results if r.get("status") == "stall")


def errors_of(results):
    return [r.get("detail", "?") for r in results if r.get("status") == "error"]


def summarize(data):
    """Medians, ranges and ratios for every scenario and metric."""
    summary = {}
    for name, entry in data["scenarios"].items():
        rows = []
        for key, label, better, unit in entry["metrics"]:
            row = {"key": key, "label": label, "better": better, "unit": unit}
            for kind, results in entry["results"].items():
                row[kind] = median_range(values_of(results, key))
                row[kind + "_stalls"] = stalls_of(results)
                row[kind + "_runs"] = len(results)
                row[kind + "_errors"] = errors_of(results)
            ceiling = values_of(entry.get("ceiling", []), key)
            if ceiling:
                row["ceiling"] = min(ceiling) if better == "lower" else max(ceiling)
            a, b = row.get("wsexec"), row.get("websocketd")
            row["ratio"] = a[0] / b[0] if a and b and b[0] else None
            rows.append(row)
        summary[name] = rows
    return summary


def limit_value(data, name):
    entry = data["limits"].get(name)
    if not entry or not entry["values"]:
        return None
    return statistics.median(entry["values"])


def bound_for(label, data, summary, websocketd_median):
    """What this machine allows at best for a target, when a measured limit
    says so: (required value, best possible value, explanation) or None."""
    def row(scenario, key):
        return next((r for r in summary.get(scenario, []) if r["key"] == key), {})

    if websocketd_median is None:
        return None
    floor = row("churn", "conns_per_s").get("floor")
    if label.startswith("churn ≥ 2.5×"):
        if floor:
            return (2.5 * websocketd_median, floor[0],
                    f"the floor server (the least a spawning server does) reaches "
                    f"{fmt(floor[0])}/s")
        best = limit_value(data, "spawn-echo")
        if best:
            return (2.5 * websocketd_median, best,
                    f"a serial churn cannot beat spawn + echo of one child: {fmt(best)}/s")
    if label.startswith("churn ≥ 80 %"):
        limit = limit_value(data, "spawn")
        if floor and limit:
            return (0.8 * limit, floor[0],
                    f"the floor server (the least a spawning server does) reaches "
                    f"{fmt(floor[0])}/s ({floor[0] / limit * 100:.0f} % of the limit; "
                    f"{fmt(floor[1])}–{fmt(floor[2])} over the runs)")
    if label.startswith("storm of 500"):
        rate = limit_value(data, "spawn-2")
        if rate:
            return (0.4 * websocketd_median, 500 / rate * 1000,
                    f"500 spawns at the two-core spawn rate ({fmt(rate)}/s) take "
                    f"{fmt(500 / rate * 1000)} ms")
    if label.startswith("binary 64 KiB ≥ 2.5×"):
        best = limit_value(data, "pipe-64k")
        if best:
            return (2.5 * websocketd_median, best,
                    f"the two-pipe limit is {fmt(best)} MB/s")
    for percent, factor in (("p50", 0.6), ("p99", 0.3)):
        if label.startswith(f"latency {percent}"):
            ceiling = row("latency", f"us_{percent}").get("ceiling")
            child = limit_value(data, f"pipe-rtt-{percent}")
            if ceiling and child:
                return (factor * websocketd_median, ceiling + child,
                        f"the client's own round trip against an in-process echo "
                        f"({fmt(ceiling)} µs) plus a line through cat ({fmt(child)} µs) is "
                        f"{fmt(ceiling + child)} µs")
            if ceiling:
                return (factor * websocketd_median, ceiling,
                        f"the client's own round trip against an in-process echo is "
                        f"{fmt(ceiling)} µs")
    if label.startswith("throughput"):
        scenario = "throughput-1" if "1 conn" in label else "throughput-50"
        ceiling = row(scenario, "msgs_per_s").get("ceiling")
        if ceiling:
            return (3 * websocketd_median, ceiling,
                    f"the client's ceiling is {fmt(ceiling)} messages/s")
    return None


def evaluate_targets(data, summary):
    verdicts = []
    for label, scenario, key, kind, op, bound in TARGETS:
        rows = summary.get(scenario)
        verdict = {"target": label, "scenario": scenario, "key": key}
        row = next((r for r in rows if r["key"] == key), None) if rows else None
        if row is None:
            verdict.update(result="not run", met=None)
            verdicts.append(verdict)
            continue
        a = row.get("wsexec")
        b = row.get("websocketd")
        verdict["wsexec"] = a
        verdict["websocketd"] = b
        verdict["websocketd_stalls"] = row.get("websocketd_stalls", 0)
        verdict["wsexec_stalls"] = row.get("wsexec_stalls", 0)
        value = None
        if kind == "ratio":
            if a and b:
                value = a[0] / b[0]
                verdict["shown"] = f"{value:.2f}×"
            elif a and not b and row.get("websocketd_stalls"):
                verdict["shown"] = "websocketd stalls"
                verdict["met"] = True
                verdict["value"] = None
                verdicts.append(verdict)
                continue
        elif kind.startswith("limit:"):
            limit = limit_value(data, kind.split(":", 1)[1])
            if a and limit:
                value = a[0] / limit
                verdict["shown"] = f"{value * 100:.0f} % of {fmt(limit)}"
        else:
            if a:
                value = a[0]
                verdict["shown"] = fmt(value)
        verdict["value"] = value
        machine = bound_for(label, data, summary, b[0] if b else None)
        if machine:
            required, best, why = machine
            verdict["required"] = required
            verdict["best_possible"] = best
            beyond = best < required if op == ">=" else best > required
            verdict["beyond_machine"] = beyond
            verdict["bound_note"] = why
        if value is None:
            verdict["met"] = False if row.get("wsexec_stalls") or row.get("wsexec_errors") else None
            verdict.setdefault("shown", "no result")
        else:
            verdict["met"] = value <= bound if op == "<=" else value >= bound
            # By how much: the factor still needed (1.0 = met exactly).
            if value:
                verdict["factor"] = (bound / value) if op == ">=" else (value / bound)
        verdicts.append(verdict)
    return verdicts


def cell(stat, stalls=0, runs=0, unit=""):
    if stat is None:
        if stalls:
            return f"stall ({stalls}/{runs})"
        return "–"
    med, lo, hi = stat
    text = f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"
    if stalls:
        text += f", stall {stalls}/{runs}"
    return text


def write_markdown(data, summary, verdicts, path):
    info = data["machine"]
    lines = []
    lines.append("# wsexec and websocketd side by side: results")
    lines.append("")
    lines.append(f"Written by `bench/side_by_side.py` on {data['date']}; "
                 f"{data['runs']} interleaved runs (A B A B) per scenario, "
                 f"{data['duration_s'] / 60:.1f} min in all. Cells: median (min–max). "
                 "Ratios are wsexec ÷ websocketd of the medians.")
    lines.append("")
    lines.append(f"- machine: {info.get('cpu', '?')}, {info.get('cores')} cores, "
                 f"{info.get('memory_gib')} GiB, Linux {info.get('kernel')}; "
                 f"load average at start {info['loadavg'][0]:.1f}, "
                 f"at end {data['loadavg_end'][0]:.1f} (the machine is shared)")
    lines.append(f"- wsexec: `{data['versions']['wsexec']}` ({data['versions']['wsexec_commit']})")
    lines.append(f"- websocketd: {data['versions']['websocketd']}")
    historical = HISTORICAL in data["servers"]
    if historical:
        lines.append(f"- historical column, {HISTORICAL}: {data['versions'][HISTORICAL]}")
    lines.append("- every server runs with `--maxforks=0`, no process cap (websocketd 0.5's "
                 "default, 1,024, would refuse half of the storm of 2,000)")
    lines.append(f"- client: wsbench, one thread; its ceiling is the same scenario against "
                 "its in-process echo server (best of the ceiling runs)")
    lines.append("")
    lines.append("## Targets")
    lines.append("")
    lines.append("| target | wsexec | websocketd | result | met |")
    lines.append("|---|---|---|---|---|")
    for v in verdicts:
        a = cell(v.get("wsexec"), v.get("wsexec_stalls", 0), data["runs"])
        b = cell(v.get("websocketd"), v.get("websocketd_stalls", 0), data["runs"])
        met = {True: "**met**", False: "not met", None: "–"}[v.get("met")]
        if v.get("met") is False and v.get("factor"):
            met += f" (needs {v['factor']:.1f}× better)"
        if v.get("met") is False and v.get("beyond_machine"):
            met += f"; **beyond this machine**: needs {fmt(v['required'])}, {v['bound_note']}"
        lines.append(f"| {v['target']} | {a} | {b} | {v.get('shown', v.get('result', '–'))} "
                     f"| {met} |")
    lines.append("")
    lines.append("## Limits (no server: what any server pays)")
    lines.append("")
    lines.append("| limit | median (min–max) |")
    lines.append("|---|---|")
    labels = {"spawn": "spawn + 3 pipes + one echo + reap of `cat`, serial (per second)",
              "spawn-echo": "the same, reaped by another thread: spawn + echo alone (per second)",
              "spawn-2": "the same, two loops in parallel, both cores (per second)",
              "spawn-5000fds": "serial, with 5,000 descriptors open in the spawner, as with "
                               "1,000 connections (per second)",
              "pipe-rtt-p50": "a 64-byte line written into `cat` and read back, p50 (µs)",
              "pipe-rtt-p99": "the same, p99 (µs)",
              "pipe-1k": "bytes through two pipes and `cat`, 1 KiB writes (MB/s)",
              "pipe-64k": "bytes through two pipes and `cat`, 64 KiB writes (MB/s)",
              "pipe-1m": "bytes through two pipes and `cat`, 1 MiB writes (MB/s)"}
    for name, entry in data["limits"].items():
        lines.append(f"| {labels.get(name, name)} | {cell(median_range(entry['values']))} |")
    lines.append("")
    lines.append("## Every scenario")
    lines.append("")
    lines.append("| scenario | metric | wsexec | websocketd | ratio | client ceiling "
                 "| floor server |" + (f" {HISTORICAL} |" if historical else ""))
    lines.append("|---|---|---|---|---|---|---|" + ("---|" if historical else ""))
    for name, rows in summary.items():
        for row in rows:
            unit = f" ({row['unit']})" if row["unit"] else ""
            ratio = f"{row['ratio']:.2f}×" if row.get("ratio") else "–"
            lines.append(
                f"| {name} | {row['label']}{unit} | "
                f"{cell(row.get('wsexec'), row.get('wsexec_stalls', 0), row.get('wsexec_runs', 0))} | "
                f"{cell(row.get('websocketd'), row.get('websocketd_stalls', 0), row.get('websocketd_runs', 0))} | "
                f"{ratio} | {fmt(row.get('ceiling'))} | {cell(row.get('floor'))} |"
                + (f" {cell(row.get(HISTORICAL), row.get(HISTORICAL + '_stalls', 0), row.get(HISTORICAL + '_runs', 0))} |"
                   if historical else ""))
    errors = []
    for name, entry in data["scenarios"].items():
        for kind, results in entry["results"].items():
            for r in results:
                if r.get("status") != "ok":
                    errors.append(f"- {name}, {kind}: {r.get('status')}: {r.get('detail')}")
    if errors:
        lines.append("")
        lines.append("## Stalls and errors")
        lines.append("")
        lines += sorted(set(errors))
    lines.append("")
    lines.append("## Plots")
    lines.append("")
    for plot, title in PLOTS:
        if os.path.exists(os.path.join(os.path.dirname(path), plot + ".svg")):
            lines.append(f"![{title}]({plot}.svg)")
            lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# ------------------------------------------------------------------ plots

PLOTS = [("targets", "Each target: how far wsexec is from it (1 = just met)"),
         ("latency", "Round-trip latency"),
         ("throughput", "Throughput of 64-byte text messages"),
         ("connections", "Churn and storms"),
         ("binary", "Binary mode"),
         ("memory", "Idle connections")]


def gnuplot(script, out):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.CalledProcessError) as e:
        log(f"gnuplot failed for {out}: {getattr(e, 'stderr', e)}")


def bar_plot(out, title, ylabel, groups, series, logscale=False, extra="", size=(760, 380)):
    """groups: labels on x; series: [(name, [(med, lo, hi) or None per group])]."""
    rows = []
    for i, group in enumerate(groups):
        fields = [f'"{group}"']
        for _, stats in series:
            s = stats[i]
            if s is None:
                fields += ["NaN", "NaN", "NaN"]
            else:
                fields += [f"{s[0]:.6g}", f"{s[1]:.6g}", f"{s[2]:.6g}"]
        rows.append(" ".join(fields))
    ymin = "0"
    if logscale:
        import math
        positives = [v for _, stats in series for st in stats if st for v in st if v and v > 0]
        ymin = f"{10 ** math.floor(math.log10(min(positives))):g}" if positives else "1"
    plots = []
    colors = ["#1f77b4", "#d62728", "#7f7f7f", "#2ca02c"]
    for j, (name, _) in enumerate(series):
        c = 2 + 3 * j
        spec = f"$data using {c}:{c + 1}:{c + 2}"
        if j == 0:
            spec += ":xtic(1)"
        plots.append(f'{spec} title "{name}" lc rgb "{colors[j % len(colors)]}"')
    terminal = f'svg size {size[0]},{size[1]} dynamic font "sans,11" background rgb "white"'
    if os.environ.get("WSBENCH_PNG"):  # a preview where SVG cannot be viewed
        out = out[:-4] + ".png"
        terminal = f'pngcairo size {size[0]},{size[1]} font "sans,10" background rgb "white"'
    script = f"""
set terminal {terminal}
set output "{out}"
set title "{title}"
set ylabel "{ylabel}"
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [{ymin}:*]
{'set logscale y' if logscale else ''}
{extra}
$data << EOD
{chr(10).join(rows)}
EOD
plot {", ".join(plots)}
"""
    gnuplot(script, out)


def write_plots(data, summary, verdicts, outdir):
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no plots")
        return

    def stat(scenario, key, kind):
        rows = summary.get(scenario) or []
        row = next((r for r in rows if r["key"] == key), None)
        return row.get(kind) if row else None

    def ceil(scenario, key):
        rows = summary.get(scenario) or []
        row = next((r for r in rows if r["key"] == key), None)
        c = row.get("ceiling") if row else None
        return (c, c, c) if c else None

    kinds = [k for k in ("wsexec", "websocketd") if k in data["servers"]]

    # Targets: how far from each (value / bound, oriented so ≥ 1 is met).
    groups, values = [], []
    for v in verdicts:
        if v.get("value") is None:
            continue
        label, _sc, _key, _kind, op, bound = next(t for t in TARGETS if t[0] == v["target"])
        score = v["value"] / bound if op == ">=" else bound / v["value"]
        groups.append(label.replace('"', "'"))
        values.append((score, score, score))
    if groups:
        bar_plot(os.path.join(outdir, "targets.svg"),
                 "wsexec against each target (1 = exactly met, above = met)",
                 "achieved / required", groups, [("wsexec", values)], logscale=True,
                 extra='set xtics rotate by -35 font ",9"\nset bmargin 13\nset rmargin 22\n'
                       'set arrow from graph 0, first 1 to '
                       'graph 1, first 1 nohead lc rgb "black" dt 2\nset yrange [0.01:100]',
                 size=(900, 520))

    if "latency" in summary:
        groups = ["p50", "p90", "p99", "max"]
        keys = ["us_p50", "us_p90", "us_p99", "us_max"]
        series = [(k, [stat("latency", key, k) for key in keys]) for k in kinds]
        series.append(("client ceiling", [ceil("latency", key) for key in keys]))
        bar_plot(os.path.join(outdir, "latency.svg"), "Round trip of one 64-byte message",
                 "µs (log)", groups, series, logscale=True)

    tp = [s for s in ("throughput-1", "throughput-50") if s in summary]
    if tp:
        series = [(k, [stat(s, "msgs_per_s", k) for s in tp]) for k in kinds]
        series.append(("client ceiling", [ceil(s, "msgs_per_s") for s in tp]))
        bar_plot(os.path.join(outdir, "throughput.svg"),
                 "64-byte text messages, pipelined", "messages/s (log)",
                 ["1 connection" if s.endswith("-1") else "50 connections" for s in tp], series,
                 logscale=True)

    conn = [s for s in ("storm-100", "storm-500", "storm-2000") if s in summary]
    if conn:
        series = [(k, [stat(s, "ms_all_echoed", k) for s in conn]) for k in kinds]
        series.append(("client ceiling", [ceil(s, "ms_all_echoed") for s in conn]))
        extra = ""
        churn = summary.get("churn")
        if churn:
            parts = []
            for k in kinds:
                st = stat("churn", "conns_per_s", k)
                if st:
                    parts.append(f"{k} {st[0]:.0f}")
            spawn = limit_value(data, "spawn")
            if spawn:
                parts.append(f"spawn limit {spawn:.0f}")
            extra = f'set label "churn, connections/s: {", ".join(parts)}" at graph 0.02, graph 0.93'
        bar_plot(os.path.join(outdir, "connections.svg"),
                 "Storm: C concurrent connects, time until all echoed", "ms (log)",
                 [s.replace("storm-", "C = ") for s in conn], series, logscale=True,
                 extra=extra + "\nset key top right")

    binary = [s for s in ("binary-1k", "binary-64k", "binary-1m", "binary-64k-deep")
              if s in summary]
    if binary:
        names = {"binary-1k": "1 KiB", "binary-64k": "64 KiB", "binary-1m": "1 MiB",
                 "binary-64k-deep": "64 KiB, 1 MiB window"}
        limits = {"binary-1k": "pipe-1k", "binary-64k": "pipe-64k", "binary-1m": "pipe-1m",
                  "binary-64k-deep": "pipe-64k"}
        series = [(k, [stat(s, "mb_per_s", k) for s in binary]) for k in kinds]
        series.append(("two-pipe limit", [
            (lambda v: (v, v, v) if v else None)(limit_value(data, limits[s])) for s in binary]))
        series.append(("client ceiling", [ceil(s, "mb_per_s") for s in binary]))
        bar_plot(os.path.join(outdir, "binary.svg"),
                 "Binary messages echoed through cat (missing bar: stall)", "MB/s (log)",
                 [names[s] for s in binary], series, logscale=True)

    mem = [s for s in ("hold-1000", "scale-3500") if s in summary]
    if mem:
        groups, series_data = [], {k: [] for k in kinds}
        for s in mem:
            for key, label in (("rss_per_conn_kib", "server RSS/conn (KiB)"),
                               ("fds_per_conn", "fds/conn"),
                               ("child_pss_kib", "child PSS (KiB)")):
                groups.append(f"{label}, {s.replace('hold-', '').replace('scale-', '')}")
                for k in kinds:
                    series_data[k].append(stat(s, key, k))
        bar_plot(os.path.join(outdir, "memory.svg"), "Idle connections: cost of each",
                 "per connection (log)", groups, [(k, series_data[k]) for k in kinds],
                 logscale=True, extra='set xtics rotate by -25 font ",9"\nset key top right')


# -------------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per server per scenario")
    parser.add_argument("--wsexec", help="wsexec binary (default: build it)")
    parser.add_argument("--wsexec-label", default=None,
                        help="what the wsexec binary was built from (default: git describe "
                             "of this tree)")
    parser.add_argument("--websocketd", default=None,
                        help="websocketd binary (default: the reference build of 0.5, "
                             + REFERENCE_WEBSOCKETD + ", else Debian's)")
    parser.add_argument("--historical", nargs="?", const="debian", default=None,
                        metavar="PATH",
                        help="also run Debian's websocketd 0.4.1 (or PATH) as a third, "
                             "historical column")
    parser.add_argument("--bench-build", default=os.path.join(REPO, "build-bench", "bench"))
    parser.add_argument("--out", default=os.path.join(REPO, "docs", "performance"))
    parser.add_argument("--only", help="comma list of scenario names (and/or 'limits')")
    parser.add_argument("--no-scale", action="store_true", help="skip the 3,500 x 60 s test")
    parser.add_argument("--ceiling-runs", type=int, default=2)
    parser.add_argument("--smoke", action="store_true",
                        help="a few seconds, wsexec only, exit 1 if anything fails")
    parser.add_argument("--replot", metavar="RESULTS_JSON",
                        help="only rewrite results.md and the plots from a results.json")
    args = parser.parse_args()

    if args.replot:
        with open(args.replot) as f:
            data = json.load(f)["data"]
        summary = summarize(data)
        verdicts = evaluate_targets(data, summary)
        os.makedirs(args.out, exist_ok=True)
        write_plots(data, summary, verdicts, args.out)
        write_markdown(data, summary, verdicts, os.path.join(args.out, "results.md"))
        return 0

    started = time.time()
    become_subreaper()
    fd_limit = raise_fd_limit()

    # Tools: the bench (always built here), wsexec, websocketd, gnuplot.
    cmake_build(os.path.join(REPO, "bench"), args.bench_build, ["wsbench", "wsbench-slowcat"])
    wsexec = args.wsexec
    if not wsexec:
        build = os.path.join(REPO, "build-bench", "wsexec")
        log("building wsexec (Release) in " + build)
        cmake_build(REPO, build, ["wsexec"], ["-DWSEXEC_TESTS=OFF"])
        wsexec = os.path.join(build, "wsexec")
    servers = {"wsexec": os.path.abspath(wsexec)}
    if not args.smoke or args.websocketd:
        servers["websocketd"] = os.path.abspath(find_websocketd(args.websocketd))
        if args.historical:
            servers[HISTORICAL] = os.path.abspath(
                find_debian_websocketd() if args.historical == "debian" else args.historical)
    if not args.smoke:
        if not shutil.which("gnuplot"):
            apt_install("gnuplot-nox")

    tools = {"wsbench": os.path.join(args.bench_build, "wsbench"),
             "slowcat": os.path.join(args.bench_build, "wsbench-slowcat"),
             "log": os.path.join(args.bench_build, "servers.log")}
    scenarios = list(SMOKE if args.smoke else FULL)
    if not args.smoke and not args.no_scale:
        scenarios.append(SCALE)
    only = set(args.only.split(",")) if args.only else None
    if only:
        scenarios = [s for s in scenarios if s[0] in only or (s[0] == "scale-3500" and
                                                              "scale-3500" in only)]
        if "scale-3500" in only and not any(s[0] == "scale-3500" for s in scenarios):
            scenarios.append(SCALE)
    runs = 1 if args.smoke else args.runs

    commit = args.wsexec_label or subprocess.run(
        ["git", "-C", REPO, "describe", "--always", "--dirty"],
        capture_output=True, text=True).stdout.strip() or "?"
    data = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": runs,
        "machine": machine_info(),
        "versions": {"wsexec": version_of([servers["wsexec"], "--version"]),
                     "wsexec_commit": commit,
                     "websocketd": describe_websocketd(servers["websocketd"])
                     if "websocketd" in servers else "-",
                     HISTORICAL: describe_websocketd(servers[HISTORICAL])
                     if HISTORICAL in servers else "-"},
        "servers": list(servers),
        "fd_limit": fd_limit,
        "limits": {},
        "scenarios": {},
    }
    log(f"servers: {servers}; {runs} runs; fd limit {fd_limit}; "
        f"load average {data['machine']['loadavg'][0]:.1f}")
    for kind in ("websocketd", HISTORICAL):
        if kind in servers:
            log(f"{kind}: {data['versions'][kind]}")
    log("every server runs with --maxforks=0 (no process cap; websocketd 0.5's default, 1,024, "
        "would refuse half of the storm of 2,000)")

    ports = Ports(SERVER_PORTS)
    inproc_ports = Ports(INPROC_PORTS)
    failed = []
    if only is None or "limits" in only:
        data["limits"] = measure_limits(tools["wsbench"], 1 if args.smoke else 3, args.smoke)
    for scenario in scenarios:
        name = scenario[0]
        entry = {"args": scenario[1], "mode": scenario[2], "command": scenario[3],
                 "metrics": scenario[4]}
        if name in CEILING:
            entry["ceiling"] = measure_ceiling(tools["wsbench"], scenario, inproc_ports,
                                               1 if args.smoke else args.ceiling_runs)
            best = entry["ceiling"][0]
            log(f"{name} ceiling: {best.get('status')} " + ", ".join(
                f"{m[1]} {fmt(best.get(m[0]))}" for m in scenario[4] if best.get(m[0])))
        scenario_runs = 1 if name == "scale-3500" else runs
        timeout = 400 if name == "scale-3500" else 180
        entry["results"] = run_scenario(tools, scenario, servers, ports, scenario_runs, timeout,
                                        None if args.smoke else data["limits"])
        data["scenarios"][name] = entry
        for kind in ("wsexec", "floor"):
            for r in entry["results"].get(kind, []):
                if r.get("status") != "ok":
                    failed.append(f"{name} ({kind}): {r.get('status')}: {r.get('detail')}")
        for r in entry.get("ceiling", []):
            if r.get("status") != "ok":
                failed.append(f"{name} ceiling: {r.get('status')}: {r.get('detail')}")

    data["duration_s"] = time.time() - started
    data["loadavg_end"] = os.getloadavg()
    summary = summarize(data)
    verdicts = evaluate_targets(data, summary)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"data": data, "summary": summary, "targets": verdicts}, f, indent=1,
                  default=str)
    if not args.smoke:
        write_plots(data, summary, verdicts, args.out)
    write_markdown(data, summary, verdicts, os.path.join(args.out, "results.md"))
    with open(os.path.join(args.out, "results.md")) as f:
        print(f.read())
    log(f"done in {data['duration_s'] / 60:.1f} min; results in {args.out}")
    if args.smoke and failed:
        for line in failed:
            log("FAILED " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
