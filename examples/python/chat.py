#!/usr/bin/env python3
"""chat.py - a tiny multi-user chat room.

    ./build/wsexec --port=8080 examples/python/chat.py
    then open examples/html/chat.html in two or more tabs

Every connection runs its own copy of this program; the copies meet in one
shared file. Each copy appends what its client says to the file, and a thread
sends every new line of the file back to its client (like `tail -F`).

examples/bash/chat.sh uses the same file, so both can run at once (on two
ports) and share one room. The server passes only PATH and LD_LIBRARY_PATH by
default, so TMPDIR is unset here and the room is /tmp/wsexec-chat.log unless
the server was started with --passenv=PATH,LD_LIBRARY_PATH,TMPDIR.

There is no helper process to clean up: when we exit, the thread goes too.
"""
import os
import signal
import sys
import threading
import time

ROOM = os.path.join(os.environ.get("TMPDIR") or "/tmp", "wsexec-chat.log")
# Who is talking: address and port of the client.
ME = f"{os.environ.get('REMOTE_ADDR', 'local')}:{os.environ.get('REMOTE_PORT', os.getpid())}"


def say(text):
    """Append one line to the room."""
    # A single write to a file opened with O_APPEND lands at the end in one
    # piece, even when several chats write at the same moment.
    fd = os.open(ROOM, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (text + "\n").encode("utf-8", "replace"))
    finally:
        os.close(fd)


def send(line):
    # stdout is a pipe, so Python buffers it in blocks of several KB: flush,
    # or messages would only leave when the buffer fills.
    print(line, flush=True)


def follow(room):
    """Send every line appended to the room from now on."""
    try:
        follow_lines(room)
    except BrokenPipeError:
        # The client is gone and main() will soon see stdin close. Point
        # stdout at /dev/null so that Python's last flush, at exit, does not
        # print a second BrokenPipeError into the server's log.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def follow_lines(room):
    partial = b""
    while True:
        chunk = room.read()
        if not chunk:
            # Start again from the top if the file was truncated or replaced.
            try:
                if os.stat(ROOM).st_ino != os.fstat(room.fileno()).st_ino:
                    room.close()
                    room = open(ROOM, "rb")
                elif room.tell() > os.fstat(room.fileno()).st_size:
                    room.seek(0)
            except FileNotFoundError:
                pass
            time.sleep(0.2)  # plain polling: simple, and fast enough for people
            continue
        *lines, partial = (partial + chunk).split(b"\n")
        for line in lines:
            send(line.decode("utf-8", "replace"))


def main():
    sys.stdin.reconfigure(encoding="utf-8", errors="replace")
    sys.stdout.reconfigure(encoding="utf-8")
    # When the client goes away the server closes our stdin, then sends SIGINT
    # and SIGTERM if we are slow. Turn SIGTERM into an exception like SIGINT
    # (KeyboardInterrupt) so that `finally` still says goodbye.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    open(ROOM, "ab").close()  # create the room if needed, so we can follow it
    room = open(ROOM, "rb")
    # Find the end before saying anything: all that is added from here on,
    # our own "joined" included, is for this client.
    room.seek(0, os.SEEK_END)
    send(f"* you are {ME}")
    threading.Thread(target=follow, args=(room,), daemon=True).start()
    say(f"* {ME} joined")
    try:
        for line in sys.stdin:
            say(f"[{ME}] " + line.removesuffix("\n"))
    except KeyboardInterrupt:
        pass
    finally:
        say(f"* {ME} left")


if __name__ == "__main__":
    main()
