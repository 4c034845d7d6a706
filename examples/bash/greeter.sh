#!/usr/bin/env bash
# greeter.sh - one message in, one message out: reads a name per line and
# answers "Hello, NAME!". Ends when the client disconnects (stdin reaches EOF).
#
#   ./build/wsexec --port=8080 examples/bash/greeter.sh
#   then open examples/html/greeter.html
#
# Each text message from the client arrives as one line on stdin.

# IFS= keeps leading and trailing spaces and -r keeps backslashes, so the name
# is exactly what was typed. The `|| [ -n ... ]` answers a last line that has
# no newline too (only possible when testing with a pipe: `printf Ann | ...`).
while IFS= read -r name || [ -n "$name" ]; do
    echo "Hello, ${name}!"
done
