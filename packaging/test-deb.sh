#!/usr/bin/env bash
# test-deb.sh - the Debian package, end to end, on this machine.
#
#   packaging/test-deb.sh [--built DIR]
#
# Builds the package (packaging/build-deb.sh), runs lintian on it, installs
# it with dpkg -i, checks what it installed (wsexec --version, man -w wsexec,
# systemd-analyze verify on the units, the examples answering a real WebSocket
# client, configuration files read with --config, an instance file of the
# old WSEXEC_ARGS form converted by the postinst, a socket-activated start),
# then purges it and checks that nothing is left behind.
#
# Runs as root (or with sudo) on Debian 12, and installs what it needs with
# apt-get: the build dependencies, dpkg-dev, debhelper, lintian, systemd,
# man-db, python3-websockets. It must not be run where a wsexec package that
# matters is installed: it purges it. Servers it starts listen on 127.0.0.1,
# on ports 18500-18599, and are stopped by PID.
#
# --built DIR tests the package that `packaging/build-deb.sh DIR` already
# built from this checkout instead of building it again: CI builds it at
# nice 19 while other tests run (.ci/run).
#
# Prints one PASS or FAIL line per check; exits 0 only if every check passed.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
built_dir=""
case "${1:-}" in
    "") ;;
    --built)
        [ -n "${2:-}" ] || { echo "test-deb.sh: --built needs a directory" >&2; exit 2; }
        built_dir=$(cd "$2" && pwd) || { echo "test-deb.sh: no directory $2" >&2; exit 2; }
        ;;
    *) echo "usage: test-deb.sh [--built DIR]" >&2; exit 2 ;;
esac
start_time=$SECONDS
checks=0
failures=0
work=$(mktemp -d "${TMPDIR:-/tmp}/wsexec-test-deb.XXXXXX")
server_pids=()
installed_by_us=false
# Instance files this script writes into /etc/wsexec (removed by cleanup).
old_conf=/etc/wsexec/test-deb-old.conf
test_confs=("$old_conf" "$old_conf.dpkg-old" /etc/wsexec/test-deb-old.env
    /etc/wsexec/test-deb-space.conf)

pass() { checks=$((checks + 1)); echo "PASS: $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
note() { echo "test-deb: $*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
check() { # check DESCRIPTION COMMAND...: PASS if the command succeeds
    local description=$1
    shift
    if "$@"; then pass "$description"; else fail "$description"; fi
}

summary() {
    local elapsed=$((SECONDS - start_time))
    if [ "$failures" -eq 0 ]; then
        echo "test-deb: PASS ($checks checks in ${elapsed} s)"
    else
        echo "test-deb: FAIL ($failures of $checks checks failed, ${elapsed} s)"
    fi
}

cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    as_root rm -f "${test_confs[@]}"
    if $installed_by_us && dpkg-query -W -f='${Status}' wsexec 2>/dev/null | grep -q installed; then
        as_root dpkg --purge wsexec >/dev/null 2>&1
    fi
    # Made by us before the install when it did not exist; kept if not empty.
    as_root rmdir /etc/wsexec 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

abort() { fail "$*"; summary; exit 1; }

# --- tools -----------------------------------------------------------------

export DEBIAN_FRONTEND=noninteractive
tools=(dpkg-dev debhelper lintian systemd man-db python3-websockets)
missing=()
for package in "${tools[@]}"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q '^install ok installed$' ||
        missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    note "installing ${missing[*]}"
    as_root apt-get update -qq >/dev/null
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1 ||
        { cat "$work/apt.log"; abort "apt-get install ${missing[*]}"; }
fi
# The Debian python3, not a pyenv or venv one first on PATH: it has websockets.
python=/usr/bin/python3
version=$(dpkg-parsechangelog -l "$repo/packaging/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

if dpkg-query -W -f='${Status}' wsexec 2>/dev/null | grep -q 'installed'; then
    note "purging the wsexec package that is already installed"
    as_root dpkg --purge wsexec >/dev/null || abort "dpkg --purge of the old wsexec"
fi

# What exists before, to compare with what is left after the purge.
snapshot() {
    find /etc /usr /var/lib /var/log /opt -xdev -name '*wsexec*' 2>/dev/null | LC_ALL=C sort
}
snapshot >"$work/before.txt"

# An instance file of the old form (WSEXEC_ARGS, read by systemd), as an
# earlier package left it: the postinst must convert it. Removed before the
# purge, like the other files of ours in /etc/wsexec.
as_root mkdir -p /etc/wsexec
cat >"$work/old.conf" <<'EOF_CONF'
# An echo server of the old form.
LANG=C.UTF-8
WSEXEC_ARGS="--port=8080 --address=127.0.0.1 --header-ws=X-Old:yes /usr/bin/cat"
EOF_CONF
as_root cp "$work/old.conf" "$old_conf"

# --- build -------------------------------------------------------------------

step_start=$SECONDS
out="$work/out"
if [ -n "$built_dir" ]; then
    out=$built_dir
    if [ -f "$out/wsexec_${version}_${arch}.deb" ] && [ -f "$out/wsexec_${version}_${arch}.changes" ]; then
        pass "build-deb.sh built wsexec_${version}_${arch}.deb before (--built $built_dir)"
    else
        abort "no wsexec_${version}_${arch}.deb and .changes in $built_dir (packaging/build-deb.sh $built_dir)"
    fi
elif "$repo/packaging/build-deb.sh" --install-deps "$out"; then
    pass "build-deb.sh built wsexec_${version}_${arch}.deb ($((SECONDS - step_start)) s)"
else
    abort "build-deb.sh"
fi
deb="$out/wsexec_${version}_${arch}.deb"
changes="$out/wsexec_${version}_${arch}.changes"

# --- lintian -----------------------------------------------------------------

step_start=$SECONDS
# Errors and warnings fail; overridden tags (with their reasons) are in
# packaging/debian/wsexec.lintian-overrides. lintian warns when run as root.
lintian --fail-on error,warning "$changes" >"$work/lintian.txt" 2>&1
lintian_status=$?
grep -v 'running with root privileges is not recommended' "$work/lintian.txt" | sed 's/^/  lintian: /'
if [ "$lintian_status" -eq 0 ]; then
    pass "lintian: no errors or warnings ($((SECONDS - step_start)) s)"
else
    fail "lintian (status $lintian_status)"
fi

# --- install -----------------------------------------------------------------

# Slim images exclude /usr/share/man and /usr/share/doc from every dpkg -i
# (path-exclude in /etc/dpkg/dpkg.cfg.d); take our man page and docs anyway.
include=(--path-include=/usr/share/man/man1/wsexec.1.gz --path-include='/usr/share/doc/wsexec/*')
installed_by_us=true
if as_root dpkg "${include[@]}" -i "$deb" >"$work/dpkg.log" 2>&1; then
    pass "dpkg -i $(basename "$deb")"
else
    note "dpkg -i failed, trying apt-get install -f for the dependencies"
    if as_root apt-get install -f -y -qq >>"$work/dpkg.log" 2>&1 &&
        dpkg-query -W -f='${Status}' wsexec | grep -q 'install ok installed'; then
        pass "dpkg -i $(basename "$deb") (with apt-get install -f)"
    else
        cat "$work/dpkg.log"
        abort "dpkg -i $(basename "$deb")"
    fi
fi
dpkg -L wsexec >"$work/files.txt"

# --- what it installed -------------------------------------------------------

actual=$(/usr/bin/wsexec --version 2>&1)
if [[ "$actual" == "wsexec $version "* ]]; then
    pass "wsexec --version: $actual"
else
    fail "wsexec --version printed '$actual', expected 'wsexec $version ...'"
fi
check "wsexec is /usr/bin/wsexec on PATH" test "$(command -v wsexec)" = /usr/bin/wsexec

man_path=$(man -w wsexec 2>&1)
check "man -w wsexec: $man_path" test "$man_path" = /usr/share/man/man1/wsexec.1.gz
man_warnings=$(MANWIDTH=80 man --warnings wsexec 2>&1 >/dev/null)
if [ -z "$man_warnings" ]; then
    pass "man --warnings wsexec: no warnings"
else
    fail "man --warnings wsexec: $man_warnings"
fi

unit=/lib/systemd/system/wsexec@.service
check "the unit is $unit" test -f "$unit"
check "/etc/wsexec/example.conf is a conffile" \
    grep -q '/etc/wsexec/example.conf' <(dpkg-query -W -f='${Conffiles}\n' wsexec)
verify=$(systemd-analyze verify wsexec@example.service 2>&1)
verify_status=$?
if [ "$verify_status" -eq 0 ] && [ -z "$verify" ]; then
    pass "systemd-analyze verify wsexec@example.service: clean"
else
    while IFS= read -r line; do echo "  systemd-analyze: $line"; done <<<"$verify"
    fail "systemd-analyze verify wsexec@example.service (status $verify_status)"
fi
examples=/usr/share/doc/wsexec/examples
for example in bash/greeter.sh bash/count.sh python/greeter.py; do
    check "example $examples/$example is executable" test -x "$examples/$example"
done
check "README.Debian is installed" test -f /usr/share/doc/wsexec/README.Debian

# --- the installed examples answer a real WebSocket client ------------------

cat >"$work/client.py" <<'EOF'
"""client.py URL [SEND EXPECT]...: send each SEND as a text message, expect
EXPECT back; then close. Exits 0 when every answer was right."""
import asyncio
import sys

import websockets


async def main(url, pairs):
    async with websockets.connect(url, open_timeout=5, close_timeout=5) as ws:
        for send, expect in pairs:
            await ws.send(send)
            answer = await asyncio.wait_for(ws.recv(), 5)
            if answer != expect:
                print(f"sent {send!r}, got {answer!r}, expected {expect!r}")
                return 1
            print(f"sent {send!r}, got {answer!r}")
    return 0


args = sys.argv[2:]
sys.exit(asyncio.run(main(sys.argv[1], list(zip(args[0::2], args[1::2])))))
EOF

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_server LOG ARGS...: start /usr/bin/wsexec ARGS on a free port of
# 18500-18599 (the port is put in front of ARGS) as the unprivileged user
# nobody, as the service would run it, from /, with an almost empty
# environment. Sets server_pid and server_port.
start_server() {
    local log=$1
    shift
    local port pid
    for _ in 1 2 3 4 5; do
        port=$((18500 + RANDOM % 100))
        port_in_use "$port" && continue
        (cd / && exec env -i PATH=/usr/bin:/bin setpriv --reuid=nobody --regid=nogroup \
            --clear-groups /usr/bin/wsexec --port="$port" "$@") >"$log" 2>&1 &
        pid=$!
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break # it exited: the port was taken after all
            if port_in_use "$port"; then
                server_pid=$pid
                server_port=$port
                server_pids+=("$pid")
                return 0
            fi
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    cat "$log"
    return 1
}

# stop_server PID: SIGTERM, then it must exit with status 0 within 5 s.
stop_server() {
    local pid=$1 status
    kill -TERM "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null
        return 1
    fi
    wait "$pid"
    status=$?
    local kept=() other
    for other in "${server_pids[@]}"; do [ "$other" = "$pid" ] || kept+=("$other"); done
    server_pids=("${kept[@]}")
    return "$status"
}

# The greeter example from /usr/share/doc, in line mode.
if start_server "$work/greeter.log" --address=127.0.0.1 "$examples/bash/greeter.sh"; then
    if $python "$work/client.py" "ws://127.0.0.1:$server_port/" \
        Ann 'Hello, Ann!' 'Zoë' 'Hello, Zoë!' >"$work/client.txt" 2>&1; then
        pass "installed examples/bash/greeter.sh answers a WebSocket client (port $server_port)"
    else
        sed 's/^/  client: /' "$work/client.txt"
        sed 's/^/  wsexec: /' "$work/greeter.log"
        fail "installed examples/bash/greeter.sh answers a WebSocket client"
    fi
    check "the log says CONNECT" \
        grep -q "| CONNECT\$" "$work/greeter.log"
    if stop_server "$server_pid"; then
        pass "wsexec stops with status 0 on SIGTERM"
    else
        fail "wsexec did not stop with status 0 within 5 s of SIGTERM"
    fi
    check "the log says DISCONNECT" grep -q "| DISCONNECT\$" "$work/greeter.log"
else
    fail "start wsexec with the installed examples/bash/greeter.sh"
fi

# --- configuration files (--config) -----------------------------------------

unit_exec=$(grep '^ExecStart=' "$unit")
check "the unit runs $unit_exec" test "$unit_exec" = 'ExecStart=/usr/bin/wsexec --config=/etc/wsexec/%i.conf'
check "/usr/lib/wsexec/convert-conf is installed and executable" test -x /usr/lib/wsexec/convert-conf

# serve_echo DESCRIPTION CONFIG [SEND EXPECT]...: start a server as the unit
# would, from CONFIG (our --port in front of it replaces its own), and check
# that it answers each SEND with EXPECT.
serve_echo() {
    local description=$1 config=$2
    shift 2
    if start_server "$work/config.log" --config="$config"; then
        if $python "$work/client.py" "ws://127.0.0.1:$server_port/" "$@" \
            >"$work/client.txt" 2>&1; then
            pass "$description"
        else
            sed 's/^/  client: /' "$work/client.txt"
            sed 's/^/  wsexec: /' "$work/config.log"
            fail "$description"
        fi
        stop_server "$server_pid" || fail "wsexec --config=$config did not stop with status 0"
    else
        fail "start wsexec --config=$config ($description)"
    fi
}

serve_echo "/etc/wsexec/example.conf serves an echo server" /etc/wsexec/example.conf \
    ping ping 'two words' 'two words'

# A command whose argument holds spaces and quotes, which the old
# WSEXEC_ARGS form could not express.
cat >"$work/space.conf" <<'EOF_CONF'
address = 127.0.0.1
command = /bin/sh -c 'while read -r line; do echo "$line, said twice"; done'
EOF_CONF
as_root cp "$work/space.conf" /etc/wsexec/test-deb-space.conf
serve_echo "a --config command with an argument holding spaces (sh -c '...')" \
    /etc/wsexec/test-deb-space.conf hi 'hi, said twice' 'a b' 'a b, said twice'

# The old-form file written before the install, converted by the postinst.
check "the postinst converted $old_conf: no WSEXEC_ARGS left" \
    bash -c "! grep -q WSEXEC_ARGS= <(grep -v '^#' '$old_conf')"
check "the converted $old_conf has the command" grep -qx 'command = /usr/bin/cat' "$old_conf"
check "the converted $old_conf has the options" \
    grep -qx 'header-ws = X-Old:yes' "$old_conf"
check "the old file is kept as $old_conf.dpkg-old" cmp -s "$work/old.conf" "$old_conf.dpkg-old"
check "its other variable moved to /etc/wsexec/test-deb-old.env" \
    grep -qx 'LANG=C.UTF-8' /etc/wsexec/test-deb-old.env
serve_echo "the converted $old_conf serves its echo server" "$old_conf" ping ping

# --- socket activation, Type=notify and privilege drop ----------------------

# The socket template next to the service, verified as an instance; then a
# socket-activated start as systemd would do it, played by
# systemd-socket-activate (there is no running systemd here): it binds the
# port, waits for the first client and execs wsexec with the socket
# (LISTEN_FDS, named "endpoint" as in wsexec@.socket). wsexec starts as root
# and becomes nobody (--user), as a unit without DynamicUser= would have it.
socket_unit=/lib/systemd/system/wsexec@.socket
check "the socket unit is $socket_unit" test -f "$socket_unit"
verify=$(systemd-analyze verify wsexec@example.socket 2>&1)
verify_status=$?
if [ "$verify_status" -eq 0 ] && [ -z "$verify" ]; then
    pass "systemd-analyze verify wsexec@example.socket: clean"
else
    while IFS= read -r line; do echo "  systemd-analyze: $line"; done <<<"$verify"
    fail "systemd-analyze verify wsexec@example.socket (status $verify_status)"
fi
check "wsexec@.service is Type=notify" grep -qx 'Type=notify' "$unit"

activated_port=""
for _ in 1 2 3 4 5; do
    candidate=$((18500 + RANDOM % 100))
    port_in_use "$candidate" || { activated_port=$candidate; break; }
done
if [ -n "$activated_port" ]; then
    (cd / && exec env -i PATH=/usr/bin:/bin systemd-socket-activate \
        --listen=127.0.0.1:"$activated_port" --fdname=endpoint --setenv=PATH -- \
        /usr/bin/wsexec --port="$activated_port" --user=nobody --drainms=2000 cat) \
        >"$work/activated.log" 2>&1 &
    activated_pid=$!
    server_pids+=("$activated_pid")
    for _ in $(seq 50); do port_in_use "$activated_port" && break; sleep 0.1; done
    if $python "$work/client.py" "ws://127.0.0.1:$activated_port/" woken woken \
        >"$work/client.txt" 2>&1; then
        pass "a socket-activated wsexec answers its first client (port $activated_port)"
    else
        sed 's/^/  client: /' "$work/client.txt"
        sed 's/^/  wsexec: /' "$work/activated.log"
        fail "a socket-activated wsexec answers its first client"
    fi
    check "it serves the socket it was passed" \
        grep -q "Listening on a socket from systemd: tcp 127.0.0.1:$activated_port" \
        "$work/activated.log"
    check "it runs as nobody" grep -q "Running as user nobody" "$work/activated.log"
    if stop_server "$activated_pid"; then
        pass "the socket-activated wsexec stops with status 0 on SIGTERM"
    else
        sed 's/^/  wsexec: /' "$work/activated.log"
        fail "the socket-activated wsexec did not stop with status 0 within 5 s of SIGTERM"
    fi
else
    fail "no free port in 18500-18599 for the socket-activated start"
fi

# --- purge -------------------------------------------------------------------

as_root rm -f "${test_confs[@]}"
if as_root dpkg --purge wsexec >"$work/purge.log" 2>&1; then
    pass "dpkg --purge wsexec"
else
    cat "$work/purge.log"
    fail "dpkg --purge wsexec"
fi
installed_by_us=false
status=$(dpkg-query -W -f='${db:Status-Status}' wsexec 2>/dev/null)
check "dpkg lists wsexec as not installed (status: ${status:-none})" \
    test -z "$status" -o "$status" = not-installed

left=()
while IFS= read -r path; do
    [ "$path" = /. ] && continue
    # Directories shared with other packages (/usr/bin, and /lib, which is a
    # link to usr/lib on merged-/usr systems) stay; ours must go.
    if [ -d "$path" ]; then
        case "$path" in *wsexec*) [ -e "$path" ] && left+=("$path") ;; esac
    elif [ -e "$path" ] || [ -L "$path" ]; then
        left+=("$path")
    fi
done <"$work/files.txt"
if [ "${#left[@]}" -eq 0 ]; then
    pass "every one of the $(wc -l <"$work/files.txt") paths the package installed is gone"
else
    fail "left after purge: ${left[*]}"
fi
check "/etc/wsexec is gone" test ! -e /etc/wsexec
snapshot >"$work/after.txt"
if diff -u "$work/before.txt" "$work/after.txt" >"$work/diff.txt"; then
    pass "no file or directory named *wsexec* left in /etc /usr /var/lib /var/log /opt"
else
    sed 's/^/  /' "$work/diff.txt"
    fail "files named *wsexec* differ before install and after purge"
fi

summary
[ "$failures" -eq 0 ]
