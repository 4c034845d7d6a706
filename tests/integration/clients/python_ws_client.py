#!/usr/bin/python3
"""A conforming client (python3-websockets) for the integration tests of
--compress and --subprotocol: it negotiates what it is told to offer, sends
JSON-like lines (and one long one) through a line-echoing program, checks
that each comes back unchanged, and prints what was negotiated as key=value
lines. Exit status: 0 all echoed, 1 a mismatch or an error, 77 no websockets
module (the test is skipped)."""
import argparse
import asyncio
import sys

try:
    import websockets
except ImportError:
    sys.exit(77)


def lines(count):
    for i in range(count):
        yield f'{{"seq":{i},"level":"info","message":"event number {i} of {count}"}}'
    # Longer than any window we might use, and highly compressible.
    yield '{"bulk":"' + "abcdefgh" * 25000 + '"}'


async def run(args):
    uri = f"ws://127.0.0.1:{args.port}/"
    async with websockets.connect(
        uri,
        compression="deflate" if args.compress else None,
        subprotocols=args.subprotocol or None,
        open_timeout=5,
        max_size=None,
    ) as ws:
        print(f"subprotocol={ws.subprotocol or ''}")
        print("extensions=" + ",".join(ext.name for ext in ws.extensions))
        echoed = 0
        for line in lines(args.messages):
            await ws.send(line)
            reply = await asyncio.wait_for(ws.recv(), 5)
            if reply != line:
                print(f"mismatch after {echoed} messages: sent {len(line)} bytes, got {len(reply)}")
                return 1
            echoed += 1
        print(f"echoed={echoed}")
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--compress", action="store_true", help="offer permessage-deflate")
    parser.add_argument("--subprotocol", action="append", help="offer this subprotocol")
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    try:
        return asyncio.run(run(args))
    except Exception as error:  # report any failure as a line the test shows
        print(f"error={type(error).__name__}: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
