#!/usr/bin/env bash
# count.sh - the "hello world" of wsexec: sends 1 to 10, one message a second,
# then exits, and wsexec closes the connection normally (code 1000).
#
#   ./build/wsexec --port=8080 examples/bash/count.sh
#   then open examples/html/count.html
#
# Every line written to stdout becomes one WebSocket text message. echo is a
# bash builtin that writes its line at once, so shell scripts need no flushing.

for ((i = 1; i <= 10; i++)); do
    echo "$i"
    sleep 1
done
