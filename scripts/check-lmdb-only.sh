#!/usr/bin/env bash
# Builds desk without the package's default traits (LMDB only: no postgres-nio,
# no SwiftNIO) and checks it: nothing of PostgresNIO is linked in, the demo runs
# and verifies, and a postgres:// ledger is refused with a clear error.
# make test runs it last: it rebuilds the package's own modules without the
# trait, so run `swift build` again before working on the default build.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product desk --disable-default-traits
desk="$(swift build --show-bin-path --disable-default-traits)/desk"
if nm "$desk" | grep -q PostgresNIO; then
    echo "check-lmdb-only: the LMDB-only desk links PostgresNIO"; exit 1
fi
ledger=$(mktemp -d)
trap 'rm -rf "$ledger"' EXIT
"$desk" demo --ledger "$ledger/demo" >/dev/null
"$desk" verify --ledger "$ledger/demo" | grep -q "^valid: "
if message=$("$desk" stats --ledger postgres://desk@127.0.0.1:1/ledger 2>&1); then
    echo "check-lmdb-only: the LMDB-only desk accepted a postgres:// ledger"; exit 1
fi
case "$message" in
    *"built without PostgreSQL"*) ;;
    *) echo "check-lmdb-only: unexpected refusal of a postgres:// ledger: $message"; exit 1 ;;
esac
[ ! -e "postgres:" ] || { echo "check-lmdb-only: a folder named after the URL was made"; exit 1; }
echo "check-lmdb-only: the LMDB-only desk builds, runs the demo, verifies, and refuses postgres:// ledgers"
