#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (-sanitize=fuzzer; release, or debug
# with --debug: a quicker build for a short pass, slower inputs) and runs
# each for SECONDS on its committed seed corpus (Fuzz/Corpus/NAME) plus what
# earlier runs found (.build/fuzz-corpus/NAME, not committed). A crash, a leak,
# a timeout (10 s on one input) or an out-of-memory stops that fuzzer, leaves
# the input in .build/fuzz-artifacts/ and makes this script exit 1.
#
#   scripts/fuzz.sh [--debug] SECONDS [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=release
if [ "${1:-}" = "--debug" ]; then configuration=debug; shift; fi
seconds="${1:?usage: fuzz.sh SECONDS [NAME...]}"
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(fuzz-record fuzz-payload fuzz-csv fuzz-jsonl fuzz-export fuzz-snapshot)
build=(swift build --package-path Fuzz -c "$configuration" -Xswiftc -sanitize=fuzzer)
"${build[@]}" 2>&1 | grep -E "error|warning:|Build complete" || true
bin="$("${build[@]}" --show-bin-path)"
mkdir -p .build/fuzz-artifacts
status=0
for name in "${names[@]}"; do
    [ -x "$bin/$name" ] || { echo "$name: not built"; status=1; continue; }
    mkdir -p ".build/fuzz-corpus/$name"
    log=".build/fuzz-artifacts/$name.log"
    if "$bin/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix=".build/fuzz-artifacts/$name-" ".build/fuzz-corpus/$name" "Fuzz/Corpus/$name" >"$log" 2>&1; then
        runs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
        echo "$name: no crash in $seconds s, $runs inputs run ($configuration build)"
    else
        echo "$name: FAILED (see $log):"
        grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5
        status=1
    fi
done
exit $status
