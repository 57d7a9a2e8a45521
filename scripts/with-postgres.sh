#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster (scripts/pg-cluster.sh)
# with TICKETLEDGER_POSTGRES_URL pointing at it, and stops the cluster after.
#
# Without a server that can start, the PostgreSQL tests are skipped with a
# message; with TICKETLEDGER_REQUIRE_POSTGRES=1 (CI) that is an error instead.
# The cluster runs without fsync, as the tests check the ledger's logic, not
# the server's durability; `--durable` keeps PostgreSQL's defaults (fsync,
# synchronous_commit): the benchmarks use it.
#
#   scripts/with-postgres.sh [--durable] COMMAND [ARGUMENTS...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
if [ "${1:-}" = "--durable" ]; then options=""; shift; fi
dir="/tmp/ticketledger-pg-test-$$"
# The first free port from 55433 (a server left running there, by another run
# or by hand, must not stop this one), or TICKETLEDGER_PG_PORT.
port="${TICKETLEDGER_PG_PORT:-}"
if [ -z "$port" ]; then
    for candidate in $(seq 55433 55532); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port="$candidate"; break; fi
    done
    port="${port:-55433}"
fi
if url="$(PG_SERVER_OPTIONS="$options" "$here/pg-cluster.sh" start "$dir" "$port")"; then
    trap '"$here/pg-cluster.sh" stop "$dir"' EXIT
    export TICKETLEDGER_POSTGRES_URL="$url"
    echo "PostgreSQL for the tests: $url"
elif [ "${TICKETLEDGER_REQUIRE_POSTGRES:-}" = 1 ]; then
    echo "with-postgres: no PostgreSQL server could be started, and TICKETLEDGER_REQUIRE_POSTGRES=1" >&2
    exit 1
else
    echo "with-postgres: no PostgreSQL server could be started; the PostgreSQL tests will be skipped" >&2
fi
"$@"
