#!/usr/bin/env python3
"""Checks a TicketLedger JSON Lines export without TicketLedger (the audit
algorithm article of LedgerIO's documentation).

    python3 scripts/verify_export.py EXPORT.jsonl [--key VERIFIER-KEY]
    python3 scripts/verify_export.py EXPORT.jsonl --checkpoint FILE --key VERIFIER-KEY

Exit 0 and "valid: N events" when it holds; exit 1 and the first bad line otherwise.
A version 2 export ends with its checkpoint: with --key (the signer's verifier
key, NAME+HASH+KEY, or a file holding it) its Ed25519 signature is checked (the
`cryptography` package); then each event's RFC 9162 inclusion proof (or, for a
full export, the tree and stream-map roots of all records), each ticket's
stream-map entry (nothing left out) and the digest of every byte before it.
With --checkpoint (a signed checkpoint from `desk checkpoint`) it also checks
that a full export's first records have that checkpoint's tree root.
"""
import base64, datetime, hashlib, json, os, struct, sys, uuid


def micros(text):
    """Microseconds since the Unix epoch of an ISO 8601 UTC time."""
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def check(path, key=None):
    """(0, None) when the export holds, else (line, problem); a line that is not
    what the layout says (not JSON, a field missing) is a problem, not a crash."""
    where = [1]
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except (OSError, UnicodeDecodeError) as error:
        return 1, f"cannot read {path}: {error}"
    try:
        return check_lines(lines, key, where)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, struct.error) as error:
        return where[0], f"not as the export layout says ({type(error).__name__}: {error})"


def check_lines(lines, key, where):
    header = json.loads(lines[0])
    if header.get("format") != "ticketledger-export" or header.get("version") not in (1, 2):
        return 1, "not a TicketLedger export, version 1 or 2"
    checkpoint, end = None, len(lines)
    if header["version"] == 2:
        end = max(i for i, line in enumerate(lines) if line)
        where[0] = end + 1
        trailer = json.loads(lines[end]) if end > 0 else {}
        if trailer.get("format") != "ticketledger-checkpoint":
            return end + 1, "the last line is not the export's checkpoint: the export was cut"
        note = trailer["checkpoint"]
        if key is not None:
            text = signed_text(note, key)
            if text is None:
                return end + 1, "the checkpoint has no valid signature of the key"
        else:
            text = note.rpartition("\n\n")[0] + "\n" if "\n\n" in note else note
        checkpoint = parse_checkpoint(text)
        if checkpoint["size"] != header["chainHeadPosition"]:
            return 1, "the header's chain head is not the checkpoint's size"
    last_position, last_hash, events = 0, None, 0
    leaves, histories = [], {}
    for number, line in enumerate(lines[1:end], start=2):
        if not line:
            continue
        where[0] = number
        e = json.loads(line)
        record = base64.b64decode(e["record"], validate=True)
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
        if checkpoint is not None:
            if position > checkpoint["size"]:
                return number, "after the checkpoint's records"
            leaf = leaf_hash(record)
            if header["full"]:
                leaves.append(leaf)
            elif root_from_path(leaf, position - 1, checkpoint["size"], hashes(e.get("proof") or "")) != checkpoint["root"]:
                return number, "the inclusion proof does not lead to the checkpoint's root"
            if header.get("streams") is not None and stream not in header["streams"]:
                return number, f"an event of {stream}, which the export does not select"
            if header.get("from") and occurred < micros(header["from"]) or header.get("to") and occurred > micros(header["to"]):
                return number, "it occurred outside the selection's times"
            count, history = histories.get(stream, (0, bytes(32)))
            if header.get("streams") is not None and version != count + 1:
                return number, f"version {version} of {stream} follows {count}: events are missing or out of order before this line"
            histories[stream] = (count + 1, hashlib.sha256(history + stored).digest())
        last_position, last_hash, events = position, e["hash"], events + 1
    if header["full"] and (last_position != header["chainHeadPosition"] or (last_hash or "0" * 64) != header["chainHeadHash"]):
        return len(lines), "the export does not end at the stated chain head"
    where[0] = end + 1
    if checkpoint is not None:
        problem = completeness(header, checkpoint, leaves, histories)
        if problem:
            return end + 1, problem
        digest = hashlib.sha256("".join(line + "\n" for line in lines[:end]).encode()).digest()
        if checkpoint["export"] != digest:
            return end + 1, "the export's bytes are not the ones its checkpoint was made for (a line or header field was changed, removed or added)"
    print(f"valid: {events} events")
    return 0, None


def parse_checkpoint(text):
    lines = text.split("\n")[:-1]
    extensions = dict(line.split(" ", 1) for line in lines[3:])
    result = {"origin": lines[0], "size": int(lines[1]), "root": base64.b64decode(lines[2]), "export": None, "map": None}
    if "export" in extensions:
        result["export"] = base64.b64decode(extensions["export"])
    if "map" in extensions:
        size, root = extensions["map"].split(" ")
        result["map"] = (int(size), base64.b64decode(root))
    return result


def map_leaf(stream, count, history):
    """A stream-map leaf: the id's UTF-8 length (2 bytes), the id, the count (8 bytes), the history hash; big-endian."""
    encoded = stream.encode()
    return struct.pack(">H", len(encoded)) + encoded + struct.pack(">Q", count) + history


def completeness(header, checkpoint, leaves, histories):
    if header["full"]:
        if len(leaves) != checkpoint["size"] or tree_root(leaves) != checkpoint["root"]:
            return "the records do not have the checkpoint's tree root"
        if checkpoint["map"] is not None:
            streams = sorted(histories, key=lambda s: s.encode())
            root = tree_root([leaf_hash(map_leaf(s, *histories[s])) for s in streams])
            if (len(streams), root) != checkpoint["map"]:
                return "the streams do not have the checkpoint's map root"
    if header.get("streams") is None:
        return None
    if checkpoint["map"] is None:
        return "the checkpoint has no stream map"
    size, root = checkpoint["map"]
    for stream in header["streams"]:
        proofs = [p for p in header.get("streamProofs") or [] if p["streamId"] == stream]
        if len(proofs) != 1:
            return f"not one map proof of {stream}"
        p = proofs[0]
        leaf = leaf_hash(map_leaf(stream, p["count"], bytes.fromhex(p["history"])))
        if root_from_path(leaf, p["mapIndex"], size, hashes(p["mapProof"])) != root:
            return f"the map proof of {stream} does not lead to the checkpoint's map root"
        count, history = histories.get(stream, (0, bytes(32)))
        if count != p["count"]:
            return f"{stream} had {p['count']} events at the checkpoint, the export has {count}: events were left out"
        if history.hex() != p["history"]:
            return f"the events of {stream} are not the history the map states"
    return None


def hashes(text):
    """A proof's hashes: base64 of 32-byte hashes, concatenated."""
    raw = base64.b64decode(text)
    return [raw[i:i + 32] for i in range(0, len(raw), 32)] if len(raw) % 32 == 0 else []


def root_from_path(leaf, index, size, path):
    """RFC 9162, 2.1.3.2: the root an inclusion proof leads to, or None."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


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
    text = signed_text(open(checkpoint_path, encoding="utf-8").read(), key)
    if text is None:
        return f"{checkpoint_path}: no valid signature of the key"
    origin, size, root = text.split("\n")[:3]
    size, root = int(size), base64.b64decode(root)
    lines = open(path, encoding="utf-8").read().split("\n")
    if not json.loads(lines[0]).get("full"):
        return "the export is a selection; only a full export is checked against a checkpoint"
    records = [base64.b64decode(json.loads(line)["record"]) for line in lines[1:] if line and "record" in json.loads(line)]
    if len(records) < size:
        return f"the export has {len(records)} records, but the checkpoint covers {size}"
    if tree_root([leaf_hash(r) for r in records[:size]]) != root:
        return f"the export's first {size} records do not have the checkpoint's root: one of them was changed"
    print(f"checkpoint: the first {size} records are the ones the checkpoint of {origin} covers")
    return None


if __name__ == "__main__":
    arguments = sys.argv[1:]
    options = dict(zip(arguments[1::2], arguments[2::2]))
    key = options.get("--key")
    if key is not None and os.path.exists(key):
        key = open(key, encoding="utf-8").read()
    line, problem = check(arguments[0], key)
    if line:
        print(f"INVALID at line {line}: {problem}")
        sys.exit(1)
    if "--checkpoint" in options:
        problem = check_checkpoint(arguments[0], options["--checkpoint"], key)
        if problem:
            print(f"INVALID: {problem}")
            sys.exit(1)
