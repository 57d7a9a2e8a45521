#!/usr/bin/env bash
# Builds the DocC documentation of every library module (its catalog in
# Sources/MODULE/MODULE.docc and its symbols) with the toolchain's docc, and
# fails on any warning: a broken symbol link, an undocumented parameter.
# It builds in the main build folder (.build), so `make test`'s `swift test`
# afterwards reuses those modules instead of building the package a second time.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build/docs-check
# (It also tries test and executable modules and may complain about them; ours are checked below.)
# Old graphs are removed first: a dump that fails must not leave stale ones to check.
find .build -maxdepth 3 -type d -name symbolgraph -exec rm -rf {} +
swift package dump-symbol-graph --minimum-access-level public >/dev/null 2>&1 || true
graphs=$(find .build -maxdepth 3 -type d -name symbolgraph | head -1)
[ -n "$graphs" ] || { echo "check-docs: swift package dump-symbol-graph wrote no symbol graphs"; exit 1; }
status=0
for module in EventLog PostgresEventLog PostgresSubjectKeys TicketLedger Projections LedgerIO TicketLedgerTesting; do
    own="$scratch/graphs-$module"
    rm -rf "$own" && mkdir -p "$own"
    [ -f "$graphs/$module.symbols.json" ] || { echo "check-docs: no symbol graph for $module (does it build?)"; exit 1; }
    cp "$graphs/$module.symbols.json" "$own"/
    cp "$graphs/$module"@*.symbols.json "$own"/ 2>/dev/null || true
    catalog=()
    [ -d "Sources/$module/$module.docc" ] && catalog=("Sources/$module/$module.docc")
    warnings=$(docc convert "${catalog[@]}" --additional-symbol-graph-dir "$own" --fallback-display-name "$module" \
        --fallback-bundle-identifier "org.ticketledger.$module" --output-path "$scratch/$module.doccarchive" 2>&1 | grep -i "warning" || true)
    if [ -n "$warnings" ]; then
        echo "$module: documentation warnings:"; echo "$warnings"; status=1
    else
        echo "$module: documentation builds without warnings"
    fi
done
exit $status
