#!/bin/bash
# The time every second, until the client goes away.
while true; do
  date '+%H:%M:%S'
  sleep 1
done
