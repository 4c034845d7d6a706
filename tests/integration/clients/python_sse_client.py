#!/usr/bin/python3
"""An SSE client over HTTPS (Python's http.client and ssl) for the
integration test of --sse with --ssl: it opens the event stream, reads the
session event, POSTs each message given (on a second connection, as a
browser's fetch would), and prints every event it reads as
`event=NAME id=ID data=DATA` lines until the stream ends or the deadline
passes. Exit status: 0 the stream ended, 1 an error or the deadline."""
import argparse
import http.client
import json
import socket
import ssl
import sys


def events(response):
    """Yields (name, id, data) for each event of the stream."""
    name, event_id, data = "message", None, []
    while True:
        line = response.readline()
        if not line:
            return
        line = line.decode().rstrip("\n")
        if line == "":
            if data or name != "message":
                yield name, event_id, "\n".join(data)
            name, event_id, data = "message", None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            data.append(line[6:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--post", action="append", default=[])
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    context = ssl.create_default_context(cafile=args.cafile)
    stream = http.client.HTTPSConnection("localhost", args.port, context=context,
                                         timeout=args.timeout)
    stream.request("GET", "/tls", headers={"Accept": "text/event-stream"})
    response = stream.getresponse()
    print(f"status={response.status} chunked={response.chunked}", flush=True)
    try:
        for name, event_id, data in events(response):
            print(f"event={name} id={event_id} data={data}", flush=True)
            if name != "session":
                continue
            post_url = json.loads(data)["post"]
            for message in args.post:
                poster = http.client.HTTPSConnection("localhost", args.port, context=context,
                                                     timeout=args.timeout)
                poster.request("POST", post_url, body=message.encode())
                print(f"posted={poster.getresponse().status}", flush=True)
                poster.close()
    except (socket.timeout, TimeoutError):
        print("deadline", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
