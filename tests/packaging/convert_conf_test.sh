#!/bin/sh
# convert_conf_test.sh - the Debian package's converter of old instance files
# (WSEXEC_ARGS="...") into the --config form, on sample files.
#
#   tests/packaging/convert_conf_test.sh WSEXEC_BINARY CONVERT_CONF
#
# Checks the converted text line by line, the backup, the .env file for
# other variables, that a converted file is left alone, and that files it
# cannot read with certainty are left unchanged. Run by ctest (label unit).
set -u

if [ "$#" -ne 2 ]; then
    echo "usage: $0 WSEXEC_BINARY CONVERT_CONF" >&2
    exit 2
fi
export WSEXEC="$1"
convert=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/convert-conf-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# expect_file FILE: FILE's text must be what follows on stdin.
expect_file() {
    if ! diff -u - "$1" >"$work/diff"; then
        fail "$1 differs from what was expected:"
        cat "$work/diff"
    fi
}

# --- the example instance of 0.1.0, with a flag, a spaced value and a command
cat >"$work/echo.conf" <<'CONF'
# An echo server.
WSEXEC_ARGS="--port=8080 --address 127.0.0.1 -binary --header-ws=X-Old:yes --passenv= /usr/bin/printf %s\n it's"
CONF
cp "$work/echo.conf" "$work/echo.original"
"$convert" "$work/echo.conf" 2>"$work/stderr" || fail "echo.conf: exit status $?"
grep -q "converted $work/echo.conf" "$work/stderr" || fail "no message saying echo.conf was converted"
expect_file "$work/echo.conf" <<'CONF'
# Converted by the wsexec package from WSEXEC_ARGS=--port=8080 --address 127.0.0.1 -binary --header-ws=X-Old:yes --passenv= /usr/bin/printf %s\n it's
# (the file as it was: echo.conf.dpkg-old). The form: wsexec(1),
# CONFIGURATION FILE; one option per line, the command last.
# An echo server.
port = 8080
address = 127.0.0.1
binary
header-ws = X-Old:yes
passenv = 
command = /usr/bin/printf '%s\n' 'it'\''s'
CONF
cmp -s "$work/echo.original" "$work/echo.conf.dpkg-old" || fail "echo.conf.dpkg-old is not the old file"
[ ! -e "$work/echo.env" ] || fail "echo.env written for a file with no other variable"

# --- converting again changes nothing
cp "$work/echo.conf" "$work/echo.converted"
"$convert" "$work/echo.conf" 2>"$work/stderr" || fail "echo.conf, second run: exit status $?"
cmp -s "$work/echo.converted" "$work/echo.conf" || fail "a converted file was converted again"
[ -s "$work/stderr" ] && fail "a second run said something: $(cat "$work/stderr")"

# --- other variables move to NAME.env; quotes systemd removes are removed;
# --- the last WSEXEC_ARGS wins; "--" ends the options
cat >"$work/env.conf" <<'CONF'
LANG=C.UTF-8
; a systemd-style comment
WSEXEC_ARGS=--port=1 cat
WSEXEC_ARGS='--port=2 --sameorigin -- -odd name'
TZ="Europe/Paris"
CONF
"$convert" "$work/env.conf" 2>/dev/null || fail "env.conf: exit status $?"
expect_file "$work/env.conf" <<'CONF'
# Converted by the wsexec package from WSEXEC_ARGS=--port=2 --sameorigin -- -odd name
# (the file as it was: env.conf.dpkg-old). The form: wsexec(1),
# CONFIGURATION FILE; one option per line, the command last.
# a systemd-style comment
port = 2
sameorigin
command = -odd name
CONF
expect_file "$work/env.env" <<'CONF'
LANG=C.UTF-8
TZ="Europe/Paris"
CONF

# --- an escaped quote inside a double-quoted value
cat >"$work/quoted.conf" <<'CONF'
WSEXEC_ARGS="--origin=example.com /bin/echo say\"hi\""
CONF
"$convert" "$work/quoted.conf" 2>/dev/null || fail "quoted.conf: exit status $?"
tail -n 2 "$work/quoted.conf" >"$work/quoted.tail"
expect_file "$work/quoted.tail" <<'CONF'
origin = example.com
command = /bin/echo 'say"hi"'
CONF

# --- what cannot be converted with certainty is left as it was, exit 1
printf 'WSEXEC_ARGS="--port=1 \\\n cat"\n' >"$work/continued.conf"
printf 'WSEXEC_ARGS="--port=1 --origin"\n' >"$work/dangling.conf"
for name in continued dangling; do
    cp "$work/$name.conf" "$work/$name.original"
    if "$convert" "$work/$name.conf" 2>"$work/stderr"; then
        fail "$name.conf: converted, or exit status 0"
    fi
    grep -q "by hand" "$work/stderr" || fail "$name.conf: no message saying to convert it by hand"
    cmp -s "$work/$name.original" "$work/$name.conf" || fail "$name.conf was changed"
    [ ! -e "$work/$name.conf.dpkg-old" ] || fail "$name.conf: a backup was made"
done

# --- a file in the new form is left alone
printf 'port = 1\ncommand = cat\n' >"$work/new.conf"
cp "$work/new.conf" "$work/new.original"
"$convert" "$work/new.conf" || fail "new.conf: exit status $?"
cmp -s "$work/new.original" "$work/new.conf" || fail "a file in the new form was changed"

if [ "$failures" -eq 0 ]; then
    echo "PASS: convert-conf"
else
    echo "FAIL: $failures checks of convert-conf failed"
    exit 1
fi
