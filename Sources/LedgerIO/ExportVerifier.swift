import Crypto
public import EventLog
import Foundation

/// What ``ExportVerifier/verify(lines:key:)`` found.
public struct ExportVerification: Sendable, Hashable {
    /// Whether every check held.
    public var isValid: Bool
    /// Events checked.
    public var events: Int
    /// The first line (1 = the header) that failed, when invalid.
    public var firstBadLine: Int?
    /// What is wrong there.
    public var problem: String?
    /// The export's checkpoint (version 2), when it parsed.
    public var checkpoint: Checkpoint?
    /// The name of the key whose signature of the checkpoint was checked; nil
    /// when no key was given (then anyone could have written the checkpoint).
    public var signedBy: String?
    /// The streams proven complete up to the checkpoint (a ticket export).
    public var completeStreams: [String] = []
}

/// Checks a JSON Lines export without the ledger (`AuditAlgorithm` in this
/// module's documentation): every record's hash and readable fields, the order
/// of positions; for version 2, the checkpoint's signature (given its
/// verifier key), each record's inclusion proof (or, for a full export, the
/// tree and map roots of all records), each ticket's map entry (its count and
/// history: nothing left out), and the digest of every byte.
public enum ExportVerifier {
    /// Verifies the lines of an export, in order, the header first. With `key`,
    /// the checkpoint must carry that key's valid signature.
    public static func verify<Lines: Sequence<String>>(lines: Lines, key: NoteVerifier? = nil) -> ExportVerification {
        var lineNumber = 0
        var header: ExportHeader?
        var lastPosition: UInt64 = 0
        var lastHash: String?
        var events = 0
        let decoder = JSONDecoder()
        // Version 2: the checkpoint, read first from the last line.
        let all = Array(lines)
        var checkpoint: Checkpoint?
        var signedBy: String?
        var eventLines = all.count
        var tree = MerkleTree.Builder()
        var histories: [String: (count: UInt64, history: MerkleTree.Hash)] = [:]
        func fail(_ why: String, line: Int? = nil) -> ExportVerification {
            ExportVerification(
                isValid: false, events: events, firstBadLine: line ?? lineNumber, problem: why, checkpoint: checkpoint, signedBy: signedBy)
        }
        for line in all {
            lineNumber += 1
            if lineNumber > eventLines { break }
            if line.isEmpty { continue }
            guard let data = line.data(using: .utf8) else { return fail("line \(lineNumber) is not UTF-8") }
            if header == nil {
                guard let parsed = try? decoder.decode(ExportHeader.self, from: data), parsed.format == "ticketledger-export" else {
                    return fail("line 1 is not a TicketLedger export header")
                }
                guard parsed.version == 1 || parsed.version == 2 else {
                    return fail("export version \(parsed.version) is newer than this verifier (2)")
                }
                header = parsed
                if parsed.version == 2 {
                    guard let last = all.lastIndex(where: { !$0.isEmpty }), last > 0,
                        let trailer = try? decoder.decode(ExportTrailer.self, from: Data(all[last].utf8)),
                        trailer.format == "ticketledger-checkpoint"
                    else {
                        return fail("the last line is not the export's checkpoint: the export was cut", line: all.count)
                    }
                    eventLines = last
                    do {
                        let body: String
                        if let key {
                            body = try key.verify(trailer.checkpoint)
                            signedBy = key.name
                        } else {
                            body = NoteVerifier.text(of: trailer.checkpoint)
                        }
                        checkpoint = try Checkpoint(parsing: body)
                    } catch {
                        return fail("the checkpoint: \(error)", line: last + 1)
                    }
                    guard checkpoint!.size == parsed.chainHeadPosition else {
                        return fail("the header's chain head, position \(parsed.chainHeadPosition), is not the checkpoint's size \(checkpoint!.size)")
                    }
                }
                continue
            }
            guard let event = try? decoder.decode(ExportedEvent.self, from: data) else {
                return fail("line \(lineNumber) is not an exported event")
            }
            guard let record = Data(base64Encoded: event.record), record.count >= RecordFormat.headerSize + RecordFormat.hashSize else {
                return fail("line \(lineNumber): the record is not base64 of a record")
            }
            // The hash: SHA-256(previous hash ‖ record without its hash).
            guard let previous = bytes(hex: event.previousHash), previous.count == 32 else {
                return fail("line \(lineNumber): previousHash is not 64 hexadecimal digits")
            }
            let body = record.prefix(record.count - RecordFormat.hashSize)
            var hasher = SHA256()
            hasher.update(data: previous)
            hasher.update(data: body)
            let computed = Array(hasher.finalize()).hexString
            guard computed == event.hash, record.suffix(RecordFormat.hashSize).hexString == event.hash else {
                return fail("line \(lineNumber) (position \(event.position)): the record's hash does not match its bytes and the previous hash")
            }
            // The readable fields must be what the record bytes say.
            let mismatch: String? = record.withUnsafeBytes { raw -> String? in
                guard let view = try? RecordView(validating: raw, position: event.position) else { return "the record does not decode" }
                let checks: [(String, Bool)] = [
                    ("position", view.position == event.position), ("streamId", view.streamID == event.streamId),
                    ("streamVersion", view.streamVersion == event.streamVersion), ("eventId", view.id.description == event.eventId),
                    ("type", view.type == event.type), ("schemaVersion", view.schemaVersion == event.schemaVersion),
                    ("occurredAt", view.occurredAt == event.occurredAt), ("recordedAt", view.recordedAt == event.recordedAt),
                    ("actorKind", view.actorKind.rawValue == event.actorKind), ("actorId", view.actor.id == event.actorId),
                    ("correlationId", view.correlationID.description == event.correlationId),
                    ("causationId", view.causationID.description == event.causationId),
                    ("payload", Data(view.payload).base64EncodedString() == event.payload),
                ]
                return checks.first { !$0.1 }.map { "\($0.0) differs from the record's bytes" }
            }
            if let mismatch { return fail("line \(lineNumber) (position \(event.position)): \(mismatch)") }
            // Order and continuity.
            guard event.position > lastPosition else {
                return fail("line \(lineNumber): position \(event.position) comes after position \(lastPosition); lines are out of order")
            }
            if event.position == lastPosition + 1, let lastHash, event.previousHash != lastHash {
                return fail("line \(lineNumber) (position \(event.position)): previousHash is not the hash of position \(lastPosition)")
            }
            if header!.full, event.position != lastPosition + 1 {
                return fail("line \(lineNumber): position \(event.position) follows \(lastPosition) in a full export; a line is missing")
            }
            if header!.full, event.position == 1, event.previousHash != String(repeating: "0", count: 64) {
                return fail("line \(lineNumber): position 1 must follow the zero hash")
            }
            if let checkpoint, let problem = proofProblem(event, record: Array(record), header: header!, checkpoint: checkpoint, tree: &tree, histories: &histories) {
                return fail("line \(lineNumber) (position \(event.position)): \(problem)")
            }
            lastPosition = event.position
            lastHash = event.hash
            events += 1
        }
        guard let header else { return fail("the export is empty") }
        if header.full {
            guard lastPosition == header.chainHeadPosition, (lastHash ?? String(repeating: "0", count: 64)) == header.chainHeadHash else {
                return fail(
                    "the export ends at position \(lastPosition), but the stated chain head is position \(header.chainHeadPosition) with hash \(header.chainHeadHash); lines are missing at the end")
            }
        }
        guard let checkpoint else {
            return ExportVerification(isValid: true, events: events, firstBadLine: nil, problem: nil)
        }
        let trailerLine = eventLines + 1
        // What the whole export proves: a full export's roots, a ticket's completeness.
        if let problem = completenessProblem(header: header, checkpoint: checkpoint, tree: tree, histories: histories) {
            return fail(problem, line: trailerLine)
        }
        // Every byte before the checkpoint, as the checkpoint's export line states.
        var digest = SHA256()
        for line in all[..<eventLines] { digest.update(data: Array((line + "\n").utf8)) }
        let stated = checkpoint.extensions.first { $0.hasPrefix("export ") }.map { String($0.dropFirst(7)) }
        guard stated == Data(digest.finalize()).base64EncodedString() else {
            return fail(
                "the export's bytes are not the ones its checkpoint was made for (its export digest): a line was edited, removed, added or moved, or a header field changed",
                line: trailerLine)
        }
        return ExportVerification(
            isValid: true, events: events, firstBadLine: nil, problem: nil, checkpoint: checkpoint, signedBy: signedBy,
            completeStreams: header.streams ?? [])
    }

    /// A version 2 event line's proof: its inclusion in the checkpoint's tree (a
    /// selection) or its place in the tree being rebuilt (a full export), and its
    /// place in its stream's history.
    static func proofProblem(
        _ event: ExportedEvent, record: [UInt8], header: ExportHeader, checkpoint: Checkpoint, tree: inout MerkleTree.Builder,
        histories: inout [String: (count: UInt64, history: MerkleTree.Hash)]
    ) -> String? {
        guard event.position <= checkpoint.size else { return "it is after the checkpoint's \(checkpoint.size) records" }
        let leaf = MerkleTree.leafHash(record)
        if header.full {
            tree.append(leafHash: leaf)
        } else {
            guard let proof = event.proof.flatMap(hashes) else { return "it has no inclusion proof (base64 of 32-byte hashes)" }
            guard MerkleTree.root(fromInclusionProof: proof, index: event.position - 1, size: checkpoint.size, leafHash: leaf) == checkpoint.root else {
                return "its inclusion proof does not lead to the checkpoint's root: the record or its proof was changed"
            }
        }
        if let streams = header.streams, !streams.contains(event.streamId) {
            return "it is an event of \(event.streamId), which the export does not select: it was added"
        }
        if let from = header.from, event.occurredAt < from { return "it occurred before the selection's start \(from)" }
        if let to = header.to, event.occurredAt > to { return "it occurred after the selection's end \(to)" }
        let before = histories[event.streamId] ?? (0, StreamEntry.emptyHistory)
        if header.streams != nil, event.streamVersion != before.count + 1 {
            return "\(event.streamId)'s version \(event.streamVersion) follows version \(before.count): events of the ticket are missing or out of order before this line"
        }
        histories[event.streamId] = (before.count + 1, StreamEntry.extend(before.history, recordHash: record.suffix(RecordFormat.hashSize)))
        return nil
    }

    /// What the lines prove together: a full export has the checkpoint's roots;
    /// each selected stream has the count and history its map entry states, and
    /// that entry is in the checkpoint's map.
    static func completenessProblem(
        header: ExportHeader, checkpoint: Checkpoint, tree: MerkleTree.Builder,
        histories: [String: (count: UInt64, history: MerkleTree.Hash)]
    ) -> String? {
        if header.full {
            guard tree.size == checkpoint.size, tree.root == checkpoint.root else {
                return "the export's records do not have the checkpoint's tree root"
            }
            if let map = checkpoint.map {
                guard StreamEntry.mapRoot(histories) == map else {
                    return "the export's streams do not have the checkpoint's map root"
                }
            }
        }
        guard let streams = header.streams else { return nil }
        guard let map = checkpoint.map else { return "the checkpoint has no stream map, so the tickets cannot be proven complete" }
        let proofs = header.streamProofs ?? []
        for stream in streams {
            let matching = proofs.filter { $0.streamId == stream }
            guard matching.count == 1, let proof = matching.first else {
                return "the header has \(matching.count) map proofs of \(stream), not one"
            }
            guard let history = bytes(hex: proof.history), history.count == 32 else { return "\(stream)'s history is not 64 hexadecimal digits" }
            let entry = StreamEntry(streamID: stream, count: proof.count, history: history)
            guard let path = hashes(proof.mapProof), proof.mapIndex < map.size,
                MerkleTree.root(fromInclusionProof: path, index: proof.mapIndex, size: map.size, leafHash: MerkleTree.leafHash(entry.leaf)) == map.root
            else { return "\(stream)'s map proof does not lead to the checkpoint's map root: its count, history or proof was changed" }
            let seen = histories[stream] ?? (0, StreamEntry.emptyHistory)
            guard seen.count == proof.count else {
                return "\(stream) had \(proof.count) events at the checkpoint, the export has \(seen.count): events were left out"
            }
            guard seen.history == history else { return "\(stream)'s events are not the history the checkpoint's map states" }
        }
        return nil
    }

    /// A proof's hashes: base64 of 32-byte hashes, concatenated.
    static func hashes(_ base64: String) -> [MerkleTree.Hash]? {
        guard let data = Data(base64Encoded: base64), data.count % 32 == 0 else { return nil }
        let bytes = Array(data)
        return stride(from: 0, to: bytes.count, by: 32).map { Array(bytes[$0..<$0 + 32]) }
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let value = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            result.append(value)
            index += 2
        }
        return result
    }
}
