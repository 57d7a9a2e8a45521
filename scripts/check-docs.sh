#!/usr/bin/env bash
# Builds the DocC documentation of every library module with the toolchain's
# docc and fails on any warning (a broken symbol link, an undocumented parameter).
# A separate build folder, so the symbol-graph flags do not invalidate the main build.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=.build-docs
graphs="$scratch/symbol-graphs"
rm -rf "$graphs" && mkdir -p "$graphs"
swift build --scratch-path "$scratch" -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$graphs" >/dev/null
status=0
for module in EventLog TicketLedger Projections LedgerIO TicketLedgerTesting; do
    own="$scratch/graphs-$module"
    rm -rf "$own" && mkdir -p "$own" && cp "$graphs/$module".symbols.json "$graphs/$module"@*.symbols.json "$own"/ 2>/dev/null || true
    warnings=$(docc convert --additional-symbol-graph-dir "$own" --fallback-display-name "$module" \
        --fallback-bundle-identifier "org.ticketledger.$module" --output-path "$scratch/$module.doccarchive" 2>&1 | grep -i "warning" || true)
    if [ -n "$warnings" ]; then
        echo "$module: documentation warnings:"; echo "$warnings"; status=1
    else
        echo "$module: documentation builds without warnings"
    fi
done
exit $status
