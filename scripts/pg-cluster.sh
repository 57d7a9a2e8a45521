#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: Debian's
# PostgreSQL, run as an unprivileged user, on a loopback port, in a temporary
# folder. `start` prints the URL to export as TICKETLEDGER_POSTGRES_URL;
# `stop` stops it and removes its folder.
#
#   scripts/pg-cluster.sh start [DIR] [PORT]
#   scripts/pg-cluster.sh stop  [DIR]
#   scripts/pg-cluster.sh crash DIR          (pg_ctl stop -m immediate: what a power cut does)
#   scripts/pg-cluster.sh restart DIR PORT   (starts DIR's cluster again, with its options)
#
# PG_SERVER_OPTIONS adds server settings, e.g. "-c fsync=off" for test runs
# that do not measure durability (the benchmarks keep the defaults).
set -euo pipefail
command="${1:?usage: pg-cluster.sh start|stop|crash|restart [DIR] [PORT]}"
dir="${2:-/tmp/ticketledger-pg}"
port="${3:-55432}"
# Foundation's Process (the tests run this script) leaves descriptors of its own
# open in its children; a server that inherits them keeps the test waiting for
# it. Close everything but standard input, output and error.
for fd in /proc/self/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
done
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "pg-cluster: no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 1; }

# PostgreSQL refuses to run as root: as root, run it as Debian's `postgres` user.
as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$command" in
start)
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        echo "postgres://postgres@127.0.0.1:$port/ticketledger"
        exit 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    echo "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 ${PG_SERVER_OPTIONS:-}" >"$dir/options"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres ticketledger
    echo "postgres://postgres@127.0.0.1:$port/ticketledger"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
crash)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null
    ;;
restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(cat "$dir/options")" start >/dev/null \
        || { tail -20 "$dir/server.log" >&2; exit 1; }
    ;;
*)
    echo "usage: pg-cluster.sh start|stop|crash|restart [DIR] [PORT]" >&2; exit 64 ;;
esac
