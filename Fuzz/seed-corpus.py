#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora (Fuzz/Corpus/<fuzzer>/) from a small
generated ledger and the heads of real CSV exports.

    python3 Fuzz/seed-corpus.py DESK   (DESK: a built desk executable)

The corpora are committed; run this again only to renew them."""
import base64, hashlib, json, os, subprocess, sys, tempfile

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
desk = sys.argv[1]
corpus = os.path.join(root, "Fuzz", "Corpus")


def put(fuzzer, data):
    folder = os.path.join(corpus, fuzzer)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def run(*args):
    return subprocess.run([desk, *args], check=True, capture_output=True, text=True).stdout


with tempfile.TemporaryDirectory() as tmp:
    ledger = os.path.join(tmp, "ledger")
    run("init", "--ledger", ledger, "--name", "Fuzz seeds")
    run("generate", "--ledger", ledger, "--tickets", "12", "--days", "3")
    full = run("export", "--ledger", ledger, "--format", "jsonl")
    lines = full.splitlines()
    # The event lines (the header, the checkpoint and the proofs have no type).
    events = [e for e in (json.loads(line) for line in lines[1:] if line) if "type" in e]
    ticket = events[0]["streamId"]
    one = run("export", "--ledger", ledger, "--format", "jsonl", "--ticket", ticket)
    # Projection snapshots, as the replaying commands save them in the ledger
    # (read with the `lmdb` module from PyPI, when it is installed).
    run("queues", "--ledger", ledger)
    run("problems", "--ledger", ledger)
    try:
        import lmdb
        env = lmdb.open(ledger, readonly=True, lock=False, max_dbs=16)
        snapshots = env.open_db(b"snapshots", create=False)
        with env.begin() as txn:
            for _, value in txn.cursor(snapshots):
                # After the position (8 bytes), the record hash and the state's digest (32 each).
                put("fuzz-snapshot", bytes(value[72:]))
    except ImportError:
        print("no seeds for fuzz-snapshot: pip install lmdb", file=sys.stderr)

# Exports: a full one cut short, a ticket's, and a period's.
for data in ["\n".join(lines[:40]) + "\n", one, "\n".join(lines[:3]) + "\n"]:
    put("fuzz-export", data.encode())
    put("fuzz-jsonl", data.encode())

# Records and payloads: one of each event type.
# The fuzzer picks TicketEventCodec.knownTypes.sorted()[first byte]: the names
# listed in Sources/TicketLedger/TicketEventCodec.swift, sorted.
with open(os.path.join(root, "Sources", "TicketLedger", "TicketEventCodec.swift")) as f:
    source = f.read()
listed = source[source.index("private static let names = ["):]
listed = listed[:listed.index("]")]
types = sorted(name.strip().strip('",') for name in listed.split("\n")[1:] if name.strip())
seen = set()
for e in events:
    if e["type"] in seen:
        continue
    seen.add(e["type"])
    put("fuzz-record", base64.b64decode(e["record"]))
    put("fuzz-payload", bytes([types.index(e["type"]) % 256, e["schemaVersion"] % 256]) + base64.b64decode(e["payload"]))

# CSV: the heads of the real exports in ../shared/data and the test fixtures.
sources = [os.path.join(root, "..", "shared", "data", name) for name in ("helpdesk.csv", "bpi2013_closed_problems.csv")]
sources += [os.path.join(root, "Tests", "LedgerIOTests", "Fixtures", name)
            for name in sorted(os.listdir(os.path.join(root, "Tests", "LedgerIOTests", "Fixtures"))) if name.endswith(".csv")]
for path in sources:
    if os.path.exists(path):
        with open(path, "rb") as f:
            put("fuzz-csv", b"".join(f.readlines()[:25]))
put("fuzz-csv", b'\xef\xbb\xbfcase;activity;time\r\n"A;1";"said ""hi""";01/03/2024 08:00 AM\r\n')
put("fuzz-csv", b'case\tactivity\ttime\nB\tResolved\t2024-03-01T08:00:00Z\n')
