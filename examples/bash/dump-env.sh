#!/usr/bin/env bash
# dump-env.sh - sends the environment this connection's program was given,
# sorted, one NAME=value per message, then exits (which closes the connection).
#
#   ./build/wsexec --port=8080 examples/bash/dump-env.sh
#   then open examples/html/dump-env.html
#
# Connect to a URL with a path and a query (ws://localhost:8080/a/b?x=1) to see
# REQUEST_URI, PATH_INFO and QUERY_STRING change; request headers show up as
# HTTP_*. Only PATH and LD_LIBRARY_PATH come from the server's own environment
# unless more are listed with --passenv.
#
# bash exports PWD, SHLVL and _ to every command it runs, whatever it was
# given, so they are filtered out to show only what the server passed.
# LC_ALL=C gives the same order whatever the locale.
env | grep -Ev '^(PWD|SHLVL|_)=' | LC_ALL=C sort
