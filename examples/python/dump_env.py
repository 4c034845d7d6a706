#!/usr/bin/env python3
"""dump_env.py - sends the environment this connection's program was given,
sorted, one NAME=value per message, then exits (which closes the connection).

    ./build/wsexec --port=8080 examples/python/dump_env.py
    then open examples/html/dump-env.html

Connect to a URL with a path and a query (ws://localhost:8080/a/b?x=1) to see
REQUEST_URI, PATH_INFO and QUERY_STRING change; request headers show up as
HTTP_*. Only PATH and LD_LIBRARY_PATH come from the server's own environment
unless more are listed with --passenv.

Python adds LC_CTYPE=C.UTF-8 to its own environment when it starts in the C
locale (PEP 538), so that one may show up though the server did not pass it.
"""
import os
import signal

signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # client gone: die quietly

for name in sorted(os.environ):
    # stdout is a pipe and so block-buffered; flushing each line sends each
    # message at once (exiting would flush the rest anyway, but a program
    # that keeps running after its output must flush).
    print(f"{name}={os.environ[name]}", flush=True)
