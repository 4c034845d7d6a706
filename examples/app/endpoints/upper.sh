#!/bin/bash
# Each line in, the same line in capitals out.
while IFS= read -r line; do
  printf '%s\n' "${line^^}"
done
