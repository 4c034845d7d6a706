#!/usr/bin/python3
"""What --compress costs and saves: the "Compression" section of
docs/performance.md.

1. Memory: wsexec with and without --compress, N idle connections (each
   offering permessage-deflate, as browsers do), the server's RSS before
   and after, per connection; once right after the handshakes, once after
   each connection has sent and received one message (which makes the
   compressor and decompressor allocate their windows).
2. Bandwidth: one client reads a text-heavy stream (JSON log lines, and a
   plain-text document) from the program; every byte the client receives
   on its socket (the 101, frame headers and the close included) is
   counted, with and without --compress.

    bench/compression.py --wsexec build/wsexec            # 1,000 connections
    bench/compression.py --wsexec build/wsexec --conns 50 --lines 500   # quick

Needs python3-websockets (Debian's). Every server it starts is ended by PID
(SIGTERM, then SIGKILL), and its children with it (wsexec ends them on
SIGTERM). Timings are not measured: only memory and bytes, which do not
depend on the load of the machine.
"""

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT_DOCUMENT = "/usr/share/common-licenses/GPL-3"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_fd_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Server:
    """wsexec on a free loopback port, until stop()."""

    def __init__(self, binary, compress, command, options=()):
        self.port = free_port()
        args = [binary, f"--port={self.port}", "--address=127.0.0.1", "--loglevel=none",
                "--maxforks=0", *options]
        if compress:
            args.append("--compress")
        self.process = subprocess.Popen(args + command, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{binary} did not listen on port {self.port}")

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def settle_rss(server, seconds=1.5):
    """The RSS once it stops moving (the last handshakes and frees done)."""
    await asyncio.sleep(seconds)
    return server.rss_kib()


def deflate_offer(kind):
    """What the clients offer: "bits" names client_max_window_bits, as
    Chrome and python3-websockets do, so the server may choose the client's
    window; "plain" does not, so the client may use 32 KiB."""
    # python3-websockets' own settings for compression="deflate", but for
    # client_max_window_bits.
    return [ClientPerMessageDeflateFactory(client_max_window_bits=True if kind == "bits" else None,
                                           compress_settings={"memLevel": 5})]


async def measure_memory(binary, compress, conns, parallel, offer):
    server = Server(binary, compress, ["cat"])
    try:
        before = await settle_rss(server, 0.5)
        uri = f"ws://127.0.0.1:{server.port}/"
        clients = []
        gate = asyncio.Semaphore(parallel)

        async def open_one():
            async with gate:
                clients.append(await websockets.connect(
                    uri, compression=None, extensions=deflate_offer(offer), ping_interval=None,
                    open_timeout=30))

        await asyncio.gather(*(open_one() for _ in range(conns)))
        negotiated = sum(1 for ws in clients if ws.extensions)
        opened = await settle_rss(server)

        async def one_message(ws, i):
            line = json.dumps({"seq": i, "level": "info", "message": f"hello from client {i}"})
            await ws.send(line)
            if await asyncio.wait_for(ws.recv(), 30) != line:
                raise RuntimeError("echo mismatch")

        await asyncio.gather(*(one_message(ws, i) for i, ws in enumerate(clients)))
        used = await settle_rss(server)
        await asyncio.gather(*(ws.close() for ws in clients))
        return {
            "compress": compress,
            "offer": offer,
            "connections": conns,
            "negotiated_deflate": negotiated,
            "rss_before_kib": before,
            "rss_per_conn_opened_kib": round((opened - before) / conns, 2),
            "rss_per_conn_after_one_message_kib": round((used - before) / conns, 2),
        }
    finally:
        server.stop()


def json_lines_program(lines):
    """A program printing `lines` JSON log events, like a service's log."""
    return [sys.executable, "-c", f"""
import json, random
random.seed(7)
levels = ["debug", "info", "info", "info", "warning", "error"]
paths = ["/api/users", "/api/orders", "/static/app.js", "/health", "/api/search"]
for i in range({lines}):
    print(json.dumps({{"ts": 1764756000.0 + i * 0.013, "level": random.choice(levels),
        "request_id": "%016x" % random.getrandbits(64), "method": "GET",
        "path": random.choice(paths), "status": random.choice([200, 200, 200, 304, 404, 500]),
        "duration_ms": round(random.expovariate(1 / 40), 2), "bytes": random.randint(0, 90000)}}))
"""]


class CountingClient(websockets.WebSocketClientProtocol):
    """A client protocol that counts what arrives on its socket."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.wire_bytes = 0

    def data_received(self, data):
        self.wire_bytes += len(data)
        super().data_received(data)


async def measure_stream(binary, compress, name, command, options):
    server = Server(binary, compress, command, options)
    try:
        payload = 0
        messages = 0
        async with websockets.connect(f"ws://127.0.0.1:{server.port}/", compression="deflate",
                                      ping_interval=None, max_size=None,
                                      create_protocol=CountingClient) as ws:
            negotiated = bool(ws.extensions)
            try:
                while True:
                    message = await asyncio.wait_for(ws.recv(), 30)
                    payload += len(message.encode() if isinstance(message, str) else message)
                    messages += 1
            except websockets.ConnectionClosed:
                pass  # the program ended: the server closed (1000) after the last line
        return {
            "stream": name,
            "compress": compress,
            "negotiated_deflate": negotiated,
            "messages": messages,
            "payload_bytes": payload,
            "wire_bytes": ws.wire_bytes,
        }
    finally:
        server.stop()


async def run(args):
    results = {"memory": [], "streams": []}
    for compress in (False, True) if args.only in (None, "memory") else ():
        memory = await measure_memory(args.wsexec, compress, args.conns, args.parallel,
                                      args.offer)
        print(json.dumps(memory), flush=True)
        results["memory"].append(memory)
    if args.only == "memory":
        return results
    # Line mode: a message per line. Binary mode: a message per read of the
    # program's output (Python writes its stdout to a pipe in 8 KiB blocks).
    streams = [("json-lines", json_lines_program(args.lines), []),
               ("json-lines --binary", json_lines_program(args.lines), ["--binary"])]
    if os.path.exists(TEXT_DOCUMENT):
        streams.append(("gpl-3-text", ["cat", TEXT_DOCUMENT], []))
        streams.append(("gpl-3-text --binary", ["cat", TEXT_DOCUMENT], ["--binary"]))
    for name, command, options in streams:
        for compress in (False, True):
            stream = await measure_stream(args.wsexec, compress, name, command, options)
            print(json.dumps(stream), flush=True)
            results["streams"].append(stream)
    return results


def summary(results):
    memory = {m["compress"]: m for m in results["memory"]}
    out = [] if not memory else [f"idle connections: {memory[False]['connections']}",
           "server RSS per connection (KiB): opened / after one message each way",
           f"  uncompressed:  {memory[False]['rss_per_conn_opened_kib']} / "
           f"{memory[False]['rss_per_conn_after_one_message_kib']}",
           f"  --compress:    {memory[True]['rss_per_conn_opened_kib']} / "
           f"{memory[True]['rss_per_conn_after_one_message_kib']}"
           f"  ({memory[True]['negotiated_deflate']} negotiated deflate)"]
    by_stream = {}
    for stream in results["streams"]:
        by_stream.setdefault(stream["stream"], {})[stream["compress"]] = stream
    for name, pair in by_stream.items():
        plain, packed = pair[False], pair[True]
        saved = 100.0 * (1 - packed["wire_bytes"] / plain["wire_bytes"])
        out.append(f"{name}: {plain['messages']} messages, {plain['payload_bytes']} payload bytes; "
                   f"on the wire {plain['wire_bytes']} -> {packed['wire_bytes']} bytes "
                   f"({saved:.1f} % saved)")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wsexec", default=os.path.join(HERE, "..", "build", "wsexec"))
    parser.add_argument("--conns", type=int, default=1000, help="idle connections held")
    parser.add_argument("--parallel", type=int, default=64, help="handshakes at once")
    parser.add_argument("--lines", type=int, default=20000, help="JSON lines in the stream")
    parser.add_argument("--offer", choices=["bits", "plain"], default="bits",
                        help="the memory part's clients name client_max_window_bits (bits, "
                             "default) or not (plain)")
    parser.add_argument("--only", choices=["memory", "streams"], help="one of the two parts")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    raise_fd_limit()
    results = asyncio.run(run(args))
    print(summary(results))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
