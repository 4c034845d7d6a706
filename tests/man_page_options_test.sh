#!/bin/sh
# man_page_options_test.sh - every option that `wsexec --help` lists must be
# documented in the man page, so the two cannot drift apart.
#
#   tests/man_page_options_test.sh WSEXEC_BINARY MAN_PAGE
#
# An option counts as documented when the man page has an entry for it: a
# .TP paragraph whose tag names it (e.g. ".BI \-\-port= N" or ".B \-\-help");
# a mention in running text is not enough. Run by ctest (label "unit").
set -u

if [ "$#" -ne 2 ]; then
    echo "usage: $0 WSEXEC_BINARY MAN_PAGE" >&2
    exit 2
fi
binary=$1
man_page=$2

if ! help=$("$binary" --help); then
    echo "FAIL: $binary --help failed" >&2
    exit 1
fi
if [ ! -r "$man_page" ]; then
    echo "FAIL: cannot read $man_page" >&2
    exit 1
fi

# The options --help lists: the first word of each line that starts with
# spaces and two dashes, up to '=' (e.g. "  --header-ws=..." -> "header-ws").
options=$(printf '%s\n' "$help" |
    sed -n 's/^ \{1,\}--\([a-z][a-z0-9-]*\).*/\1/p' | sort -u)
if [ -z "$options" ]; then
    echo "FAIL: found no options in the output of $binary --help" >&2
    exit 1
fi

# The tags of the man page's .TP entries (the line after each ".TP"), with
# roff's "\-" turned back into "-" to compare.
entries=$(awk 'tag { print; tag = 0; next } /^\.TP/ { tag = 1 }' "$man_page" |
    sed 's/\\-/-/g')

missing=""
count=0
for option in $options; do
    count=$((count + 1))
    # "--name" followed by something that cannot continue a name: "=", "[",
    # a space, a quote or the end of the line ("--header" must not be
    # satisfied by "--header-ws" alone).
    if ! printf '%s\n' "$entries" | grep -Eq -- "--${option}([^a-z0-9-]|\$)"; then
        missing="$missing --$option"
    fi
done

if [ -n "$missing" ]; then
    echo "FAIL: options listed by --help but not documented in $man_page:$missing" >&2
    exit 1
fi
echo "PASS: all $count options listed by --help are documented in $man_page"
