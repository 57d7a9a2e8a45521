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
# In clear, as before 0.6 (the replay figures stay comparable); 1M-sealed is the same desk with its personal data sealed.
[ -f "$dir/1M/data.mdb" ] || "$desk" generate --ledger "$dir/1M" --tickets 110000 --days 365 --seed 1 --personal-data-in-clear
[ -f "$dir/1M-sealed/data.mdb" ] || "$desk" generate --ledger "$dir/1M-sealed" --tickets 110000 --days 365 --seed 1
[ -f "$dir/10M/data.mdb" ] || "$desk" generate --ledger "$dir/10M" --tickets 1160000 --days 1095 --seed 1 --personal-data-in-clear
du -sh "$dir"/*
# A 1 M-row CSV for the import benchmark: helpdesk.csv repeated with shifted case ids and times.
if [ ! -f "$dir/helpdesk-1M.csv" ] && [ -f ../shared/data/helpdesk.csv ]; then
python3 - "$dir/helpdesk-1M.csv" <<'PY'
import csv, datetime, sys
rows = list(csv.reader(open("../shared/data/helpdesk.csv", newline="")))
header, body = rows[0], rows[1:]
with open(sys.argv[1], "w", newline="") as out:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    written, copy = 0, 0
    while written < 1_000_000:
        shift = datetime.timedelta(days=1461 * copy)
        for row in body:
            if written == 1_000_000:
                break
            t = datetime.datetime.strptime(row[3], "%Y/%m/%d %H:%M:%S.%f") + shift
            writer.writerow([f"{row[0]}-{copy}", row[1], row[2], t.strftime("%Y/%m/%d %H:%M:%S.000")] + row[4:])
            written += 1
        copy += 1
PY
fi
