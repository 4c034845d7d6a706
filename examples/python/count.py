#!/usr/bin/env python3
"""count.py - sends 1 to 10, one message a second, then exits, and wsexec
closes the connection normally (code 1000).

    ./build/wsexec --port=8080 examples/python/count.py
    then open examples/html/count.html
"""
import signal
import time

# When the client goes away, the server closes our pipes and then sends
# SIGINT. Die quietly, like a shell tool, instead of printing a
# KeyboardInterrupt or BrokenPipeError traceback into the server's log.
signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGPIPE, signal.SIG_DFL)

for i in range(1, 11):
    # stdout is a pipe, not a terminal, so Python buffers it in blocks of
    # several KB: without flush=True the client would get all ten numbers at
    # once, when the program exits.
    print(i, flush=True)
    time.sleep(1)
