#!/usr/bin/env bash
# Runs every desk command that takes --json on three ledgers (a simulated desk,
# an empty one, the shared help-desk log imported) and writes each document to
# OUT/COMMAND.LEDGER.json: what tests/DeskCLITests/JSONSchemaTests validates
# against docs/schemas, and what scripts/draft-json-schema.py drafts a schema from.
#   scripts/json-samples.sh DESK OUT [HELPDESK.csv]
set -euo pipefail
desk=$1 out=$2 helpdesk=${3:-}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {  # NAME LEDGER-LABEL ARGS...
    local name=$1 label=$2; shift 2
    "$desk" "$@" --json > "$out/$name.$label.json"
}
sample() {  # LABEL LEDGER TICKET
    local label=$1 ledger=$2 ticket=$3
    run stats "$label" stats --ledger "$ledger"
    run verify "$label" verify --ledger "$ledger"
    run replay "$label" replay --ledger "$ledger"
    run queues "$label" queues --ledger "$ledger"
    run metrics "$label" metrics --ledger "$ledger" --by group
    run problems "$label" problems --ledger "$ledger"
    run flow "$label" flow --ledger "$ledger"
    if [ -n "$ticket" ]; then run history "$label" history --ledger "$ledger" "$ticket"; fi
    run copy "$label" copy --from "$ledger" --to "$work/copy-$label"
}
"$desk" init --ledger "$work/sim" --name "Retail IT" > /dev/null
run generate sim generate --ledger "$work/sim" --tickets 400 --days 40
sample sim "$work/sim" INC-000001
"$desk" export --ledger "$work/sim" --ticket INC-000001 --output "$work/inc1.jsonl" 2> /dev/null
run verify-export sim verify --export "$work/inc1.jsonl"
"$desk" init --ledger "$work/empty" > /dev/null
sample empty "$work/empty" ""
if [ -n "$helpdesk" ]; then
    run import helpdesk import "$helpdesk" --ledger "$work/helpdesk" --preset helpdesk
    sample helpdesk "$work/helpdesk" ""
fi
