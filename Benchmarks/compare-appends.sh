#!/usr/bin/env bash
# Appends of this checkout against those of an older commit, in turns within
# the same minutes (the machine is shared and noisy: only ratios measured side
# by side compare). Builds Benchmarks/compare/main.swift (release) twice: once
# against this checkout and once against a git worktree of OLD, then runs each
# workload ROUNDS times, alternating, and prints each side's median and the
# median of the per-round ratios (new / old; above 1 is slower).
#
#   Benchmarks/compare-appends.sh OLD [ROUNDS]
#
# Example (the version before the proof index): Benchmarks/compare-appends.sh e80d694 16
set -euo pipefail
cd "$(dirname "$0")/.."
old="${1:?usage: compare-appends.sh OLD-COMMIT [ROUNDS]}"
rounds="${2:-16}"
work="$(pwd)/.build-compare"
mkdir -p "$work"
rm -rf "$work/old-tree"
git worktree prune
git worktree add --detach "$work/old-tree" "$old" >/dev/null
trap 'git worktree remove --force "$work/old-tree" >/dev/null 2>&1 || true' EXIT
build() { # NAME LIBRARY-PATH
    local dir="$work/$1"
    mkdir -p "$dir/Sources/append-compare"
    cp Benchmarks/compare/main.swift "$dir/Sources/append-compare/main.swift"
    cat > "$dir/Package.swift" <<SWIFT
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "append-compare",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "TicketLedger", path: "$2")],
    targets: [.executableTarget(name: "append-compare", dependencies: [.product(name: "EventLog", package: "TicketLedger")])]
)
SWIFT
    swift build -c release --package-path "$dir" >&2
    echo "$(swift build -c release --package-path "$dir" --show-bin-path)/append-compare"
}
new_bin="$(build new "$(pwd)")"
old_bin="$(build old "$work/old-tree")"
echo "this checkout ($(git rev-parse --short HEAD)$(git diff --quiet || echo ', with changes')) against $old, $rounds rounds each, in turns"
for workload in "single 500" "tasks 100" "bulk 20"; do
    for _ in $(seq "$rounds"); do
        echo "$("$new_bin" $workload) $("$old_bin" $workload)"
    done | python3 -c "
import statistics, sys
rows = [tuple(map(float, line.split())) for line in sys.stdin]
new, old = statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)
ratio = statistics.median(r[0] / r[1] for r in rows)
print(f'$workload: new {new:.1f} ms, old {old:.1f} ms (medians); new/old {ratio:.3f} (median of {len(rows)} rounds)')"
done
