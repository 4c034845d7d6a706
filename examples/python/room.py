#!/usr/bin/env python3
"""room.py - a chat room with nicknames, private messages and a kick, as one
shared program that knows who is who (--shared=addressed):

    ./build/wsexec --port=8080 --shared=addressed examples/python/room.py

then open examples/html/room.html in two or more tabs. Commands a client can
type: "/nick NAME", "/msg NAME text" (only NAME and you see it), "/kick NAME"
(closes NAME's connection with 4000), "/who"; anything else is said to all.

wsexec sends one JSON event per line ("open", "message", "close", each with
the client's "id") and reads one JSON command per line: {"data": ...} to all,
{"to": ID or [IDs], "data": ...} to some, {"close": ID, "code": ..., "reason":
...} to disconnect one. See docs/shared.md.
"""
import json
import sys

nick_of = {}  # client id -> nickname


def send(data, to=None):
    command = {"data": data} if to is None else {"to": to, "data": data}
    print(json.dumps(command), flush=True)


def id_of(nick):
    return next((i for i, n in nick_of.items() if n == nick), None)


def on_message(client, text):
    me = nick_of[client]
    word, _, rest = text.partition(" ")
    if word == "/nick" and rest.strip():
        new = rest.strip().replace(" ", "_")
        if id_of(new):
            send(f"* {new} is taken", to=client)
            return
        nick_of[client] = new
        send(f"* you are {new}", to=client)
        send(f"* {me} is now {new}")
    elif word == "/msg":
        target, _, said = rest.partition(" ")
        other = id_of(target)
        if other is None:
            send(f"* nobody is called {target}", to=client)
        else:
            send(f"[{me} → {target}] {said}", to=[client, other])
    elif word == "/kick":
        other = id_of(rest.strip())
        if other is None:
            send(f"* nobody is called {rest.strip()}", to=client)
        else:
            print(json.dumps({"close": other, "code": 4000, "reason": f"kicked by {me}"}),
                  flush=True)
    elif word == "/who":
        send("* here: " + ", ".join(sorted(nick_of.values())), to=client)
    else:
        send(f"[{me}] {text}")


for line in sys.stdin:
    event = json.loads(line)
    client = event["id"]
    if event["event"] == "open":
        nick_of[client] = f"guest{client[-4:]}"
        send(f"* you are {nick_of[client]}", to=client)
        send(f"* {nick_of[client]} joined")
    elif event["event"] == "message" and client in nick_of:
        on_message(client, event["data"])
    elif event["event"] == "close" and client in nick_of:
        send(f"* {nick_of.pop(client)} left")
