#!/usr/bin/env bash
# chat.sh - a tiny multi-user chat room.
#
#   ./build/wsexec --port=8080 examples/bash/chat.sh
#   then open examples/html/chat.html in two or more tabs
#
# Every connection runs its own copy of this script; the copies meet in one
# shared file. Each copy appends what its client says to the file, and streams
# every new line of the file back to its client with tail.
#
# examples/python/chat.py uses the same file, so both can run at once (on two
# ports) and share one room. The server passes only PATH and LD_LIBRARY_PATH
# by default, so TMPDIR is unset here and the room is /tmp/wsexec-chat.log
# unless the server was started with --passenv=PATH,LD_LIBRARY_PATH,TMPDIR.

room="${TMPDIR:-/tmp}/wsexec-chat.log"
me="${REMOTE_ADDR:-local}:${REMOTE_PORT:-$$}"   # who is talking: address and port of the client

: >>"$room" # create the file if needed, so tail has something to follow

# Send what is added to the room from now on. The starting point is measured
# here, before we say anything, rather than left to `tail -n 0`, which starts
# from wherever the end is when tail gets round to opening the file, and so
# could miss our own "joined" and the first messages. -F: go on following if
# the file is removed and created again. tail runs in the background and
# writes straight to our stdout, that is to the client.
start=$(($(wc -c <"$room") + 1)) # tail -c +N starts at byte N, counting from 1
tail -c "+$start" -F "$room" 2>/dev/null &
tail_pid=$!

say() { printf '%s\n' "$*" >>"$room"; }

# The background tail must not outlive us: nothing else would end it until it
# next writes to the dead connection, and the connection itself stays open
# while tail holds our stdout. A script's background commands also ignore
# SIGINT, so even a signal sent to the whole process group would not stop it.
# So we end it ourselves, whichever way we leave: stdin reaching EOF (the
# client went away, the server closed our stdin), or SIGINT / SIGTERM (what
# the server sends next if we are slow). `exit` in a trap runs the EXIT trap.
leave() {
    kill "$tail_pid" 2>/dev/null
    wait "$tail_pid" 2>/dev/null # reap it: an orphaned zombie is not always reaped
    say "* $me left"
}
trap leave EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "* you are $me"
say "* $me joined"
while IFS= read -r line; do
    say "[$me] $line"
done
