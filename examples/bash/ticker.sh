#!/usr/bin/env bash
# ticker.sh - one program feeding every client: run it shared,
#
#   ./build/wsexec --port=8080 --shared examples/bash/ticker.sh
#
# and every connection sees the same ticks, from one process, however many
# dashboards are open (examples/html/ticker.html). A client that connects
# later joins the stream where it is. Lines clients send arrive on stdin;
# this ticker only reads them to echo a "poke" to everyone.
set -u
price=100
tick=0
poke() { while IFS= read -r line; do echo "poke: $line"; done; }
poke <&0 &  # the clients' lines, alongside (without <&0 a background job reads /dev/null)
while :; do
  tick=$((tick + 1))
  price=$((price + RANDOM % 7 - 3))
  [ "$price" -lt 1 ] && price=1
  printf 'tick %d %s price %d\n' "$tick" "$(date -u +%H:%M:%S)" "$price"
  sleep 1
done
