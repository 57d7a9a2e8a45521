#!/usr/bin/env python3
"""Checks a TicketLedger JSON Lines export without TicketLedger (docs/AUDIT.md).

    python3 scripts/verify_export.py EXPORT.jsonl

Exit 0 and "valid: N events" when it holds; exit 1 and the first bad line otherwise.
"""
import base64, datetime, hashlib, json, struct, sys, uuid


def micros(text):
    """Microseconds since the Unix epoch of an ISO 8601 UTC time."""
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def check(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    header = json.loads(lines[0])
    if header.get("format") != "ticketledger-export" or header.get("version") != 1:
        return 1, "not a TicketLedger export, version 1"
    last_position, last_hash, events = 0, None, 0
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        e = json.loads(line)
        record = base64.b64decode(e["record"])
        body, stored = record[:-32], record[-32:]
        if hashlib.sha256(bytes.fromhex(e["previousHash"]) + body).hexdigest() != e["hash"] or stored.hex() != e["hash"]:
            return number, "the record's hash does not match its bytes and the previous hash"
        # The readable fields must say what the record's bytes say (docs/FORMAT.md).
        (_, kind, schema, s_len, t_len, a_len, _, p_len, position, version, occurred, recorded) = struct.unpack_from("<BBHHHHHIQQqq", record, 0)
        ids = [str(uuid.UUID(bytes=record[o:o + 16])) for o in (48, 64, 80)]
        offset = 96
        stream = record[offset:offset + s_len].decode(); offset += s_len
        event_type = record[offset:offset + t_len].decode(); offset += t_len
        actor = record[offset:offset + a_len].decode(); offset += a_len
        payload = record[offset:offset + p_len]
        readable = (e["position"], e["streamId"], e["streamVersion"], e["type"], e["schemaVersion"], e["actorKind"], e["actorId"],
                    e["eventId"], e["correlationId"], e["causationId"], base64.b64decode(e["payload"]),
                    micros(e["occurredAt"]), micros(e["recordedAt"]))
        actual = (position, stream, version, event_type, schema, kind, actor, ids[0], ids[1], ids[2], payload, occurred, recorded)
        if readable != actual:
            return number, "a readable field differs from the record's bytes"
        if position <= last_position:
            return number, "out of order"
        if position == last_position + 1 and last_hash is not None and e["previousHash"] != last_hash:
            return number, "previousHash is not the previous record's hash"
        if header["full"] and position != last_position + 1:
            return number, "a line is missing before this one"
        last_position, last_hash, events = position, e["hash"], events + 1
    if header["full"] and (last_position != header["chainHeadPosition"] or (last_hash or "0" * 64) != header["chainHeadHash"]):
        return len(lines), "the export does not end at the stated chain head"
    print(f"valid: {events} events")
    return 0, None


if __name__ == "__main__":
    line, problem = check(sys.argv[1])
    if line:
        print(f"INVALID at line {line}: {problem}")
        sys.exit(1)
