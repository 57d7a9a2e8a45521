#!/usr/bin/env bash
# Runs schemathesis (PyPI, in .build/pyvenv: make test-tools) against the
# EmbeddedDesk example's OpenAPI document, served by the example on loopback
# over a throwaway ledger of simulated and imported tickets: no 5xx, and no
# status code, content type, header or body that the document does not allow;
# bodies and parameters outside the document must be refused. SCHEMATHESIS_EXAMPLES per operation (default 40).
# Expects the example built (make test runs its tests first).
set -euo pipefail
cd "$(dirname "$0")/.."
python=.build/pyvenv/bin
[ -x "$python/schemathesis" ] || { echo "schemathesis: not installed (run make test-tools)"; exit 1; }
server="$(swift build --package-path Examples/EmbeddedDesk --show-bin-path)/embedded-desk"
swift build --package-path Examples/EmbeddedDesk --product embedded-desk >/dev/null
work=$(mktemp -d)
# A ledger with tickets of every kind the service answers about: a simulated
# desk's (SLA, escalations, satisfaction) and an imported log's (no priority, no SLA).
swift build --product desk >/dev/null
desk="$(swift build --show-bin-path)/desk"
"$desk" generate --ledger "$work/ledger" --tickets 40 --days 5 --seed 3 >/dev/null
"$desk" import Tests/LedgerIOTests/Fixtures/helpdesk-excerpt.csv --preset helpdesk --ledger "$work/ledger" >/dev/null
port=$((20000 + RANDOM % 20000))
EMBEDDED_DESK_TOKENS="schemathesis-token=agent-st" "$server" "$work/ledger" "$port" >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { echo "schemathesis: the example server stopped:"; cat "$work/server.log"; exit 1; }
    sleep 0.1
done
"$python/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer schemathesis-token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
    --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" --seed 1 --workers 1 --suppress-health-check all
kill -0 $pid 2>/dev/null || { echo "schemathesis: the example server died during the run:"; cat "$work/server.log"; exit 1; }
