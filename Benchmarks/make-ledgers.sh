#!/usr/bin/env bash
# Makes the simulated ledgers the projection benchmarks replay (about 1 M and
# 10 M events), with the release build of `desk`. Takes a few minutes and a few
# GiB of memory for the 10 M one.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${TICKETLEDGER_BENCH_LEDGERS:-/tmp/ticketledger-bench}"
mkdir -p "$dir"
swift build -c release --product desk
desk="$(swift build -c release --show-bin-path)/desk"
[ -f "$dir/1M/data.mdb" ] || "$desk" generate --ledger "$dir/1M" --tickets 110000 --days 365 --seed 1
[ -f "$dir/10M/data.mdb" ] || "$desk" generate --ledger "$dir/10M" --tickets 1160000 --days 1095 --seed 1
du -sh "$dir"/*
