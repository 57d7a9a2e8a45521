#!/usr/bin/env python3
"""Checks a TicketLedger JSON Lines export without TicketLedger (docs/AUDIT.md).

    python3 scripts/verify_export.py EXPORT.jsonl
    python3 scripts/verify_export.py EXPORT.jsonl --checkpoint FILE --key VERIFIER-KEY

Exit 0 and "valid: N events" when it holds; exit 1 and the first bad line otherwise.
With --checkpoint (a signed checkpoint from `desk checkpoint`) and --key (its
verifier key, NAME+HASH+KEY, or a file holding it) it also checks the
checkpoint's Ed25519 signature (the `cryptography` package) and that a full
export's first records have the checkpoint's Merkle tree root (RFC 9162).
"""
import base64, datetime, hashlib, json, os, struct, sys, uuid


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


def leaf_hash(record):
    return hashlib.sha256(b"\x00" + record).digest()


def tree_root(leaves):
    """RFC 9162's MTH over leaf hashes: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + tree_root(leaves[:k]) + tree_root(leaves[k:])).digest()


def signed_text(note, verifier):
    """The note's text when it carries a valid signature of `verifier` (C2SP signed-note), else None."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    name, key_id, key = verifier.strip().split("+", 2)
    raw = base64.b64decode(key)
    if len(raw) != 33 or raw[0] != 1:
        raise ValueError("the verifier key is not an Ed25519 key")
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    if hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex() != key_id.lower():
        raise ValueError("the verifier key's id does not match its key")
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not note.endswith("\n"):
        return None
    text += "\n"
    for line in signatures.split("\n")[:-1]:
        try:
            dash, signer, signature = line.split(" ")
            signature = base64.b64decode(signature)
        except ValueError:
            return None
        if dash == "\u2014" and signer == name and signature[:4].hex() == key_id.lower():
            try:
                public.verify(signature[4:], text.encode())
                return text
            except Exception:
                return None
    return None


def check_checkpoint(path, checkpoint_path, key):
    if os.path.exists(key):
        key = open(key, encoding="utf-8").read()
    text = signed_text(open(checkpoint_path, encoding="utf-8").read(), key)
    if text is None:
        return f"{checkpoint_path}: no valid signature of the key"
    origin, size, root = text.split("\n")[:3]
    size, root = int(size), base64.b64decode(root)
    lines = open(path, encoding="utf-8").read().split("\n")
    if not json.loads(lines[0]).get("full"):
        return "the export is a selection; only a full export is checked against a checkpoint"
    records = [base64.b64decode(json.loads(line)["record"]) for line in lines[1:] if line]
    if len(records) < size:
        return f"the export has {len(records)} records, but the checkpoint covers {size}"
    if tree_root([leaf_hash(r) for r in records[:size]]) != root:
        return f"the export's first {size} records do not have the checkpoint's root: one of them was changed"
    print(f"checkpoint: the first {size} records are the ones the checkpoint of {origin} covers")
    return None


if __name__ == "__main__":
    arguments = sys.argv[1:]
    options = dict(zip(arguments[1::2], arguments[2::2]))
    line, problem = check(arguments[0])
    if line:
        print(f"INVALID at line {line}: {problem}")
        sys.exit(1)
    if "--checkpoint" in options:
        problem = check_checkpoint(arguments[0], options["--checkpoint"], options["--key"])
        if problem:
            print(f"INVALID: {problem}")
            sys.exit(1)
