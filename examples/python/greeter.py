#!/usr/bin/env python3
"""greeter.py - one message in, one message out: reads a name per line and
answers "Hello, NAME!". Ends when the client disconnects (stdin reaches EOF).

    ./build/wsexec --port=8080 examples/python/greeter.py
    then open examples/html/greeter.html
"""
import signal
import sys

# Leave quietly when the client goes away (see count.py).
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

# WebSocket text is UTF-8, whatever locale the server happens to pass on.
sys.stdin.reconfigure(encoding="utf-8", errors="replace")
sys.stdout.reconfigure(encoding="utf-8")

# Each text message from the client arrives as one line on stdin. Iterating
# over sys.stdin hands over each line as soon as it arrives.
for line in sys.stdin:
    name = line.removesuffix("\n")
    # stdout is a pipe, so Python buffers it in blocks of several KB: flush,
    # or the answers would sit in the buffer until it fills or we exit.
    print(f"Hello, {name}!", flush=True)
