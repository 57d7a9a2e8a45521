#!/usr/bin/env bash
# Runs a command and prints its wall time and its peak anonymous memory
# (RssAnon of /proc/PID/status, sampled every 20 ms: the heap, not the mapped
# ledger that RSS also counts). Its output goes to peak-rss-anon.out.
#
#   Benchmarks/peak-rss-anon.sh .build/release/desk replay --ledger /tmp/big/10M --no-snapshot
set -uo pipefail
start=$(date +%s.%N)
"$@" > peak-rss-anon.out 2>&1 &
pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
    anon=$(awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    if [ -n "$anon" ] && [ "$anon" -gt "$peak" ]; then peak=$anon; fi
    sleep 0.02
done
wait "$pid"
status=$?
end=$(date +%s.%N)
printf 'exit %d, wall %.2f s, peak RssAnon %d MB\n' "$status" "$(echo "$end - $start" | bc)" $((peak / 1024))
exit "$status"
